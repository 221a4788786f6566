// Start-up and footprint of the Node package: `require('autoshares')` time (fresh processes, best of 7; against an
// empty script) and the RSS of an idle client (logged in, one call made) against an idle process that made the
// same call with fetch. Prints one JSON line.
//   node benches/node/startup.mjs --creds CREDS --client all
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { args } from './common.mjs'

const pkg = fileURLToPath(new URL('../../bindings-node/lib.cjs', import.meta.url))
const common = fileURLToPath(new URL('./common.mjs', import.meta.url))
const run = (code, type = 'commonjs') =>
  execFileSync(process.execPath, ['--input-type=' + type, '-e', code], { encoding: 'utf8' }).trim()

const requireMs = (what) =>
  Math.min(
    ...Array.from({ length: 7 }, () =>
      Number(run(`const t = performance.now(); ${what}; console.log(performance.now() - t)`)),
    ),
  )

const idle = (which) =>
  JSON.parse(
    run(
      `import { Sandbox } from ${JSON.stringify(common)}
       import { createRequire } from 'node:module'
       const sb = new Sandbox(${JSON.stringify(args().creds)})
       const rss = () => process.memoryUsage().rss / 2 ** 20
       let after
       if (${JSON.stringify(which)} === 'autoshares') {
         const { Client } = createRequire(import.meta.url)(${JSON.stringify(pkg)})
         const c = new Client({ baseUrl: sb.url, appKey: sb.appKey, password: { username: sb.username, password: sb.password }, useEnv: false })
         await c.securities.equity('AAPL')
         after = rss()
         c.close()
       } else if (${JSON.stringify(which)} === 'fetch') {
         const r = await fetch(sb.url + sb.path('equity'), { headers: sb.headers(await sb.token()) })
         JSON.parse(await r.text())
         after = rss()
       } else after = rss()
       console.log(JSON.stringify({ after }))
       process.exit(0)`,
      'module',
    ),
  )

const out = {
  require_ms: { autoshares: requireMs(`require(${JSON.stringify(pkg)})`), empty: requireMs('') },
  idle_rss_mib: { node: idle('none').after, autoshares: idle('autoshares').after, fetch: idle('fetch').after },
}
console.log(JSON.stringify(out))
