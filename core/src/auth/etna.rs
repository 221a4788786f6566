//! ETNA `POST /token`: credentials as headers and a small step machine.
//!
//! 200 `{"State":"Succeeded","Token":..}` ends the login. 202 `{"State":"Expecting","Step":..,"Token":<interim>}`
//! asks for one more factor: the 2FA `VerificationCode` or the PIN (step spelled `SecutityPin` by the vendor, and
//! `SecurityPin` in newer docs; both are accepted), each sent back with the interim token in `Authorization`.
//! 401 `{"State":"Failed",..}` ends it with the failed step. Each outcome maps to one [`AuthErrorKind`].

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use futures::future::BoxFuture;
use serde::Deserialize;

use super::{AuthContext, Token, TokenProvider};
use crate::error::{AuthErrorKind, Error, Result};
use crate::secret::Secret;
use crate::transport;

/// What the server asked for, handed to a [`SecondFactor`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// The step, as the server names it (`VerificationCode`, `SecutityPin`, ...).
    pub step: String,
    /// The server's reason text (`Expecting confirmation code`, ...).
    pub reason: String,
}

/// Supplies the second factors of a password login when the server asks for them.
///
/// Called only when needed, after the server's 202: for 2FA the code has just been sent to the user by e-mail or
/// SMS. Return `Ok(None)` when there is nothing to give; the login then fails with
/// `VERIFICATION_CODE_REQUIRED` or `PIN_REQUIRED`.
pub trait SecondFactor: Send + Sync {
    /// The 2FA verification code.
    fn verification_code<'a>(
        &'a self,
        challenge: &'a Challenge,
    ) -> BoxFuture<'a, Result<Option<Secret>>>;
    /// The PIN.
    fn pin<'a>(&'a self, challenge: &'a Challenge) -> BoxFuture<'a, Result<Option<Secret>>>;
}

/// No second factor: a login that needs one fails with a typed error saying which.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoSecondFactor;

impl SecondFactor for NoSecondFactor {
    fn verification_code<'a>(&'a self, _c: &'a Challenge) -> BoxFuture<'a, Result<Option<Secret>>> {
        Box::pin(async { Ok(None) })
    }
    fn pin<'a>(&'a self, _c: &'a Challenge) -> BoxFuture<'a, Result<Option<Secret>>> {
        Box::pin(async { Ok(None) })
    }
}

/// Fixed answers: a PIN known in advance, and optionally a code.
#[derive(Clone, Default)]
pub struct StaticSecondFactor {
    /// The verification code to send when asked.
    pub verification_code: Option<Secret>,
    /// The PIN to send when asked.
    pub pin: Option<Secret>,
}

impl fmt::Debug for StaticSecondFactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticSecondFactor")
            .field(
                "verification_code",
                &self.verification_code.as_ref().map(|_| "***"),
            )
            .field("pin", &self.pin.as_ref().map(|_| "***"))
            .finish()
    }
}

impl SecondFactor for StaticSecondFactor {
    fn verification_code<'a>(&'a self, _c: &'a Challenge) -> BoxFuture<'a, Result<Option<Secret>>> {
        Box::pin(async move { Ok(self.verification_code.clone()) })
    }
    fn pin<'a>(&'a self, _c: &'a Challenge) -> BoxFuture<'a, Result<Option<Secret>>> {
        Box::pin(async move { Ok(self.pin.clone()) })
    }
}

type CodeFn = dyn Fn(Challenge) -> BoxFuture<'static, Result<Option<Secret>>> + Send + Sync;

struct FnSecondFactor {
    code: Arc<CodeFn>,
    pin: Option<Secret>,
}

impl SecondFactor for FnSecondFactor {
    fn verification_code<'a>(&'a self, c: &'a Challenge) -> BoxFuture<'a, Result<Option<Secret>>> {
        (self.code)(c.clone())
    }
    fn pin<'a>(&'a self, _c: &'a Challenge) -> BoxFuture<'a, Result<Option<Secret>>> {
        Box::pin(async move { Ok(self.pin.clone()) })
    }
}

/// The ETNA password login (`POST /token` with `Username`/`Password` headers), with 2FA and PIN steps.
///
/// ```no_run
/// # async fn run() -> autoshares::Result<()> {
/// use autoshares::auth::PasswordLogin;
/// let login = PasswordLogin::new("trader", "secret")
///     .pin("1234")
///     .verification_code_with(|challenge| async move {
///         println!("{}: enter the code you were sent", challenge.reason);
///         Ok(Some(read_code_from_somewhere()))
///     });
/// # Ok(()) }
/// # fn read_code_from_somewhere() -> autoshares::Secret { "000000".into() }
/// ```
#[derive(Clone)]
pub struct PasswordLogin {
    username: String,
    password: Secret,
    second_factor: Arc<dyn SecondFactor>,
    pin: Option<Secret>,
}

impl fmt::Debug for PasswordLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordLogin")
            .field("username", &self.username)
            .field("password", &self.password)
            .finish_non_exhaustive()
    }
}

impl PasswordLogin {
    /// A login for `username` with `password`. Without more, a server asking for 2FA or a PIN makes it fail with
    /// a typed error.
    pub fn new(username: impl Into<String>, password: impl Into<Secret>) -> Self {
        PasswordLogin {
            username: username.into(),
            password: password.into(),
            second_factor: Arc::new(NoSecondFactor),
            pin: None,
        }
    }

    /// The PIN to send when the server asks for it.
    pub fn pin(mut self, pin: impl Into<Secret>) -> Self {
        self.pin = Some(pin.into());
        self
    }

    /// Where second factors come from (a prompt, a test hook...). A PIN set with [`PasswordLogin::pin`] wins.
    pub fn second_factor(mut self, second_factor: Arc<dyn SecondFactor>) -> Self {
        self.second_factor = second_factor;
        self
    }

    /// Asks `f` for the 2FA code when the server wants one.
    pub fn verification_code_with<F, Fut>(mut self, f: F) -> Self
    where
        F: Fn(Challenge) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Option<Secret>>> + Send + 'static,
    {
        self.second_factor = Arc::new(FnSecondFactor {
            code: Arc::new(move |c| Box::pin(f(c))),
            pin: None,
        });
        self
    }

    /// The username.
    pub fn username(&self) -> &str {
        &self.username
    }

    async fn run(&self, ctx: &AuthContext) -> Result<Token> {
        let mut step_headers: Vec<(&'static str, Secret)> = Vec::new();
        let mut interim: Option<Secret> = None;
        // Each factor is asked for at most once: a server that keeps asking is a protocol error, not a loop.
        let mut asked_code = false;
        let mut asked_pin = false;
        loop {
            let mut headers = vec![
                ("Username", Secret::new(self.username.clone())),
                ("Password", self.password.clone()),
            ];
            headers.append(&mut step_headers);
            let outcome = token_request(ctx, headers, interim.as_ref()).await?;
            match outcome {
                StepOutcome::Succeeded(token) => {
                    return Ok(Token::new(token, ctx.config.token_lifetime()))
                }
                StepOutcome::Expecting {
                    challenge,
                    interim: next,
                } => {
                    interim = next;
                    let step = challenge.step.as_str();
                    if is_password_expired(&challenge) {
                        return Err(Error::auth(
                            AuthErrorKind::PasswordExpired,
                            step,
                            challenge.reason,
                        ));
                    }
                    if is_pin_step(step) {
                        if asked_pin {
                            return Err(protocol(step, "the server asked for the PIN twice"));
                        }
                        asked_pin = true;
                        if challenge.reason.to_ascii_lowercase().contains("not init") {
                            return Err(Error::auth(
                                AuthErrorKind::PinRequired,
                                step,
                                "no PIN is set for this user yet; set one in the trading platform first",
                            ));
                        }
                        let pin = match &self.pin {
                            Some(p) => Some(p.clone()),
                            None => self.second_factor.pin(&challenge).await?,
                        };
                        let pin = pin.ok_or_else(|| {
                            Error::auth(
                                AuthErrorKind::PinRequired,
                                step,
                                "the server asks for the PIN and none was given",
                            )
                        })?;
                        step_headers.push(("PinCode", pin));
                    } else if step.eq_ignore_ascii_case("VerificationCode") {
                        if asked_code {
                            return Err(protocol(
                                step,
                                "the server asked for the verification code twice",
                            ));
                        }
                        asked_code = true;
                        let code = self.second_factor.verification_code(&challenge).await?.ok_or_else(|| {
                            Error::auth(
                                AuthErrorKind::VerificationCodeRequired,
                                step,
                                "two-factor authentication is on: supply the verification code the user was sent",
                            )
                        })?;
                        step_headers.push(("VerificationCode", code));
                    } else {
                        return Err(protocol(
                            step,
                            format!("unexpected login step: {}", challenge.reason),
                        ));
                    }
                    if interim.is_none() {
                        return Err(protocol(
                            step,
                            "the server asked for another step without an interim token",
                        ));
                    }
                }
            }
        }
    }
}

impl TokenProvider for PasswordLogin {
    fn session_key(&self, ctx: &AuthContext) -> String {
        format!("password:{}@{}", self.username, ctx.config.token_url())
    }

    fn login<'a>(&'a self, ctx: &'a AuthContext) -> BoxFuture<'a, Result<Token>> {
        Box::pin(self.run(ctx))
    }
}

fn protocol(step: &str, message: impl Into<String>) -> Error {
    Error::auth(AuthErrorKind::Protocol, step, message)
}

fn is_pin_step(step: &str) -> bool {
    step.eq_ignore_ascii_case("SecutityPin") || step.eq_ignore_ascii_case("SecurityPin")
}

fn is_password_expired(c: &Challenge) -> bool {
    c.reason
        .to_ascii_lowercase()
        .contains("password has expired")
}

/// The `Succeed` / `Failed` body of `/token`.
#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct StepBody {
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    step: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    token: Option<Secret>,
}

pub(crate) enum StepOutcome {
    Succeeded(Secret),
    Expecting {
        challenge: Challenge,
        interim: Option<Secret>,
    },
}

/// One `POST /token` round: sends `headers` (and the interim token), classifies the answer.
pub(crate) async fn token_request(
    ctx: &AuthContext,
    headers: Vec<(&'static str, Secret)>,
    interim: Option<&Secret>,
) -> Result<StepOutcome> {
    const OP: &str = "Get_token";
    let request_id = transport::new_request_id();
    let mut req = transport::with_credentials(
        ctx.http.post(ctx.config.token_url().clone()),
        &ctx.config,
        interim,
        &request_id,
    )?
    .header(http::header::CONTENT_LENGTH, "0");
    for (name, value) in &headers {
        req = req.header(*name, transport::header_value(value)?);
    }
    let resp = req
        .send()
        .await
        .map_err(|e| transport::send_error(OP, &request_id, ctx.config.timeout(), e))?;
    let status = resp.status();
    let body = resp
        .bytes()
        .await
        .map_err(|e| transport::send_error(OP, &request_id, ctx.config.timeout(), e))?;
    tracing::debug!(op = OP, request_id = %request_id, status = status.as_u16(), "token step answered");
    if status == http::StatusCode::FORBIDDEN {
        return Err(transport::app_key_error(OP, &body)
            .unwrap_or_else(|| transport::api_error(OP, status, &body, &request_id)));
    }
    let parsed: Option<StepBody> = serde_json::from_slice(&body).ok();
    let b = parsed.unwrap_or_default();
    let step = b.step.clone().unwrap_or_default();
    let reason = b.reason.clone().unwrap_or_default();
    let state = b.state.clone().unwrap_or_default();
    match status.as_u16() {
        200 if state.eq_ignore_ascii_case("Succeeded") || b.token.is_some() => match b.token {
            Some(t) if !t.is_empty() => Ok(StepOutcome::Succeeded(t)),
            _ => Err(protocol(
                &step,
                "the login succeeded but the server sent no token",
            )),
        },
        200 | 202 if state.eq_ignore_ascii_case("Expecting") || status.as_u16() == 202 => {
            Ok(StepOutcome::Expecting {
                challenge: Challenge { step, reason },
                interim: b.token.filter(|t| !t.is_empty()),
            })
        }
        401 => {
            let kind = if reason.to_ascii_lowercase().contains("password has expired") {
                AuthErrorKind::PasswordExpired
            } else if is_pin_step(&step) {
                AuthErrorKind::PinInvalid
            } else if step.eq_ignore_ascii_case("VerificationCode") {
                AuthErrorKind::VerificationCodeInvalid
            } else {
                AuthErrorKind::InvalidCredentials
            };
            let step = if step.is_empty() {
                "BaseAuthentication".to_string()
            } else {
                step
            };
            let reason = if reason.is_empty() {
                "the server refused the login".to_string()
            } else {
                reason
            };
            Err(Error::auth(kind, step, reason))
        }
        _ => Err(transport::api_error(OP, status, &body, &request_id)),
    }
}

/// `POST /logout` with the app key and the token; any 2xx is success.
pub(crate) async fn logout(ctx: &AuthContext, token: &Token) -> Result<()> {
    const OP: &str = "Logout";
    let request_id = transport::new_request_id();
    let url = ctx.config.endpoint("/logout");
    let resp = transport::with_credentials(
        ctx.http.post(url),
        &ctx.config,
        Some(token.access_token()),
        &request_id,
    )?
    .header(http::header::CONTENT_LENGTH, "0")
    .send()
    .await
    .map_err(|e| transport::send_error(OP, &request_id, ctx.config.timeout(), e))?;
    let status = resp.status();
    if status.is_success() {
        return Ok(());
    }
    let body = resp.bytes().await.unwrap_or_default();
    Err(transport::app_key_error(OP, &body)
        .unwrap_or_else(|| transport::api_error(OP, status, &body, &request_id)))
}
