"""Login helpers for scripts and notebooks that prompt only when asked to (`prompt=True`)."""

from __future__ import annotations

from autoshares._native import OAuthLogin, PasswordLogin

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable


def _ask(label: str, secret: bool) -> Callable[[str], str | None]:
    def ask(reason: str) -> str | None:
        if secret:
            import getpass

            answer = getpass.getpass(f"{reason} - {label}: ")
        else:
            answer = input(f"{reason} - {label}: ")
        return answer.strip() or None

    return ask


def password_login(
    username: str,
    password: str | None = None,
    *,
    verification_code: str | Callable[[str], str | None] | None = None,
    pin: str | Callable[[str], str | None] | None = None,
    prompt: bool = False,
) -> PasswordLogin:
    """A `PasswordLogin`. With `prompt=True`, what is not given is asked for on the terminal (or the notebook's
    input box): the password now, the verification code and PIN only if the server asks for them."""
    if password is None:
        if not prompt:
            raise ValueError("password is required (or pass prompt=True to be asked for it)")
        import getpass

        password = getpass.getpass(f"Password for {username}: ")
    if prompt and verification_code is None:
        verification_code = _ask("verification code", secret=False)
    if prompt and pin is None:
        pin = _ask("PIN", secret=True)
    return PasswordLogin(username, password, verification_code=verification_code, pin=pin)


def oauth_login(
    issuer: str,
    client_id: str,
    *,
    client_secret: str | None = None,
    open_browser: bool = True,
    paste: bool | Callable[[str], str] = False,
    redirect_uri: str | None = None,
    scopes: list[str] | None = None,
) -> OAuthLogin:
    """An `OAuthLogin`: opens the browser (or prints the URL with `open_browser=False`) and receives the redirect
    on 127.0.0.1; with `paste=True` (and the registered `redirect_uri`) prints the URL and asks for the address
    the browser ended on, for notebooks on a remote machine."""
    paste_fn: Callable[[str], str] | None
    if paste is True:

        def paste_fn(url: str) -> str:
            print(f"Open this URL, log in, then paste the address you land on:\n{url}")
            return input("Redirected address: ").strip()

    elif callable(paste):
        paste_fn = paste
    else:
        paste_fn = None
    return OAuthLogin(
        issuer,
        client_id,
        client_secret=client_secret,
        scopes=scopes,
        browser=open_browser if paste_fn is None else False,
        redirect_uri=redirect_uri,
        paste=paste_fn,
    )
