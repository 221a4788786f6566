// Shared helpers of the node --test suite: a sandbox per test file, clients of its users.
import { Client, Sandbox } from '../index.mjs'

export async function startSandbox(t) {
  const sb = await Sandbox.start()
  t.after(() => sb.close())
  return sb
}

export function user(sb, name) {
  const u = sb.users.find((u) => u.username === name)
  if (!u) throw new Error(`no sandbox user ${name}`)
  return u
}

/** A client of `sb` with explicit options (no AUTOSHARES_* variable is read). */
export function client(sb, options = {}) {
  return new Client({ baseUrl: sb.url, appKey: sb.appKey, ignoreEnv: true, timeoutMs: 10000, ...options })
}

/** A password client of a sandbox user (PIN included when the user has one). */
export function passwordClient(sb, name, extra = {}) {
  const u = user(sb, name)
  return client(sb, { password: { username: u.username, password: u.password, pin: u.pin ?? undefined, ...extra } })
}

/** What a browser does with the authorize URL: follow the redirect to the loopback listener. */
export async function browse(url) {
  const res = await fetch(url)
  await res.arrayBuffer()
}

/** The redirect URL the browser ends on, without following it (for paste mode and the two-step flow). */
export async function redirectOf(url) {
  const res = await fetch(url, { redirect: 'manual' })
  const location = res.headers.get('location')
  if (!location) throw new Error(`no redirect from ${url}: ${res.status}`)
  return location
}

/** Awaits a rejection and returns the error. */
export async function rejection(promise) {
  try {
    await promise
  } catch (err) {
    return err
  }
  throw new Error('expected a rejection')
}
