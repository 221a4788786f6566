//! `login`, `logout`, `whoami` and `config show`: the session kept in the shared token file.

use std::sync::Arc;

use autoshares::auth::{
    Browser, Challenge, FileTokenStore, OAuthLogin, PasswordLogin, RedirectMode, SecondFactor,
    StoredSession,
};
use autoshares::{AuthErrorKind, Client, Secret};
use futures::future::BoxFuture;
use serde_json::json;

use crate::args::LoginArgs;
use crate::context::{spinner, Ctx};
use crate::exit::{CliError, CliResult};
use crate::output::Table;
use crate::prompt;

/// The 2FA code and the PIN, asked for only when the server asks (the code has just been sent to the user).
struct Prompted {
    pin: Option<Secret>,
}

fn ask(
    label: &'static str,
    step: String,
) -> BoxFuture<'static, autoshares::Result<Option<Secret>>> {
    Box::pin(async move {
        let answer = tokio::task::spawn_blocking(move || prompt::secret(label))
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| e.message()));
        match answer {
            Ok(s) if s.expose().trim().is_empty() => Ok(None),
            Ok(s) => Ok(Some(Secret::new(s.expose().trim().to_string()))),
            Err(message) => Err(autoshares::Error::Auth {
                kind: AuthErrorKind::Cancelled,
                step,
                message,
            }),
        }
    })
}

impl SecondFactor for Prompted {
    fn verification_code<'a>(
        &'a self,
        challenge: &'a Challenge,
    ) -> BoxFuture<'a, autoshares::Result<Option<Secret>>> {
        eprintln!("{}", challenge.reason);
        ask("Verification code: ", challenge.step.clone())
    }

    fn pin<'a>(
        &'a self,
        challenge: &'a Challenge,
    ) -> BoxFuture<'a, autoshares::Result<Option<Secret>>> {
        match &self.pin {
            Some(pin) => {
                let pin = pin.clone();
                Box::pin(async move { Ok(Some(pin)) })
            }
            None => ask("PIN: ", challenge.step.clone()),
        }
    }
}

/// Whether a browser can be opened here (a desktop session on Linux; always elsewhere).
fn browser_available() -> bool {
    if cfg!(target_os = "linux") {
        std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some()
    } else {
        true
    }
}

/// `autoshares login`.
pub async fn login(ctx: &Ctx, args: &LoginArgs) -> CliResult {
    let config = ctx.config()?;
    let token_file = Ctx::token_file(&config)?;
    let builder = Client::builder().config(config.clone());
    let client = if args.oauth {
        let settings = config.oauth();
        let issuer = args
            .issuer
            .clone()
            .or_else(|| settings.map(|s| s.issuer.to_string()))
            .ok_or_else(|| {
                CliError::Usage("--oauth needs --issuer (or AUTOSHARES_OAUTH_ISSUER)".into())
            })?;
        let client_id = args
            .client_id
            .clone()
            .or_else(|| settings.map(|s| s.client_id.clone()))
            .ok_or_else(|| {
                CliError::Usage("--oauth needs --client-id (or AUTOSHARES_OAUTH_CLIENT_ID)".into())
            })?;
        let mut login = OAuthLogin::new(&issuer, client_id)?;
        if let Some(secret) = settings.and_then(|s| s.client_secret.clone()) {
            login = login.client_secret(secret);
        }
        if args.paste || !browser_available() {
            let redirect = args
                .redirect_uri
                .clone()
                .unwrap_or_else(|| "http://127.0.0.1/callback".into());
            login = login.browser(Browser::Print).redirect(RedirectMode::manual(redirect, |url| async move {
                tokio::task::spawn_blocking(move || {
                    eprintln!("Open this URL in a browser, log in, then paste the address the browser ended on:\n{url}");
                    prompt::line("Redirect URL: ")
                })
                .await
                .map_err(|e| e.to_string())
                .and_then(|r| r.map_err(|e| e.message()))
                .map_err(|message| autoshares::Error::Auth {
                    kind: AuthErrorKind::Cancelled,
                    step: "callback".into(),
                    message,
                })
            }));
        }
        builder.login(login).build()?
    } else {
        let username = match config.username() {
            Some(u) => u.to_string(),
            None => prompt::line("Username: ")?,
        };
        let password = match config.password() {
            Some(p) => p.clone(),
            None => prompt::secret("Password: ")?,
        };
        let login = PasswordLogin::new(username, password).second_factor(Arc::new(Prompted {
            pin: config.pin().cloned(),
        }));
        builder.login(login).build()?
    };
    client.login().await?;
    let me = client.users().me().await?;
    let who = me.login.clone().unwrap_or_else(|| me.user_id.to_string());
    if ctx.out.json {
        ctx.out.json(&json!({
            "user": me,
            "session": client.session_key(),
            "token_file": token_file,
        }))
    } else {
        println!(
            "Logged in as {who} (user {}) at {}.",
            me.user_id,
            config.base_url()
        );
        println!(
            "Session kept in {} (mode 0600): the Rust, Python and Node libraries use it when given this token file \
             (AUTOSHARES_TOKEN_FILE or token_file=...).",
            token_file.display()
        );
        Ok(())
    }
}

/// `autoshares logout`.
pub async fn logout(ctx: &Ctx) -> CliResult {
    let client = ctx.client()?;
    let key = client.session_key().to_string();
    client.logout().await?;
    if ctx.out.json {
        ctx.out.json(&json!({ "logged_out": key }))
    } else {
        println!("Logged out ({key}).");
        Ok(())
    }
}

/// `autoshares whoami`.
pub async fn whoami(ctx: &Ctx) -> CliResult {
    let client = ctx.client()?;
    let config = client.config().clone();
    let stored = match config.token_file() {
        Some(path) => StoredSession::find(&FileTokenStore::new(path), &config)
            .ok()
            .flatten(),
        None => None,
    };
    let bar = spinner("asking the server");
    let me = client.users().me().await;
    bar.finish_and_clear();
    let me = me?;
    let expires = stored.as_ref().map(|s| s.expires_at());
    if ctx.out.json {
        return ctx.out.json(&json!({
            "user": me,
            "environment": config.environment().name(),
            "base_url": config.base_url().as_str(),
            "session": client.session_key(),
            "expires_at": expires,
        }));
    }
    let mut t = Table::new(["", ""]);
    let name = [me.first_name.as_deref(), me.last_name.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    t.row(["user".to_string(), me.login.clone().unwrap_or_default()])
        .row(["user id".to_string(), me.user_id.to_string()])
        .row(["name".to_string(), name])
        .row(["email".to_string(), me.email.clone().unwrap_or_default()])
        .row([
            "environment".to_string(),
            config.environment().name().to_string(),
        ])
        .row(["base url".to_string(), config.base_url().to_string()])
        .row(["session".to_string(), client.session_key().to_string()])
        .row([
            "expires".to_string(),
            expires
                .map(|e| e.format("%Y-%m-%d %H:%M:%S UTC").to_string())
                .unwrap_or_else(|| "-".into()),
        ]);
    // Two blank headers: print the rows only.
    print!(
        "{}",
        t.render()
            .split_once('\n')
            .map(|(_, rest)| rest)
            .unwrap_or_default()
    );
    Ok(())
}

/// `autoshares config show`.
pub fn config_show(ctx: &Ctx) -> CliResult {
    let config = ctx.config()?;
    if ctx.out.json {
        let entries: Vec<_> = config
            .describe()
            .iter()
            .map(|e| json!({ "name": e.name, "value": e.value, "source": e.source.to_string() }))
            .collect();
        ctx.out.json(&entries)
    } else {
        print!("{config}");
        Ok(())
    }
}
