//! The simulator's side of the Participant API: what an FSP's system calls, over HTTP,
//! with its API token (and, to register an endpoint, a signed-in user's session).

use anyhow::{Context, Result, anyhow, bail};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use shared::{
    BaselinePoint, CodeRequest, DispatchGroup, IngestSummary, LoginRequest, MeterableUnit,
    NextStep, ReadingInput, ReadingsBatch, SignInProgress,
};

/// Openflex as the simulated FSP sees it: a base URL and an API token.
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

/// A signed-in user's credentials, for the one call an API token may not make.
pub struct SignIn {
    pub email: String,
    pub password: String,
    /// The authenticator app's base32 secret (the demo prints it; `oathtool -b` takes it).
    pub totp_secret: String,
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The answer's body as `T`, or the server's problem in words.
async fn parse<T: DeserializeOwned>(what: &str, response: reqwest::Response) -> Result<T> {
    let status = response.status();
    let body = response.text().await.context(what.to_owned())?;
    if !status.is_success() {
        bail!("{what}: HTTP {status}: {body}");
    }
    serde_json::from_str(&body).with_context(|| format!("{what}: unexpected answer {body}"))
}

impl Api {
    pub fn new(base: &str, token: &str) -> Result<Self> {
        Ok(Self {
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(30))
                .build()?,
            base: base.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
        })
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .with_context(|| format!("GET {path}"))?;
        parse(&format!("GET {path}"), response).await
    }

    pub async fn meterable_unit(&self, id: &str) -> Result<MeterableUnit> {
        self.get(&format!("/api/v2/meterable-units/{id}")).await
    }

    pub async fn dispatch_group(&self, id: &str) -> Result<DispatchGroup> {
        self.get(&format!("/api/v2/dispatch-groups/{id}")).await
    }

    /// The unit's baseline over `[from, to)`, one point per metering interval.
    pub async fn baseline(
        &self,
        unit: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<BaselinePoint>> {
        let answer: Value = self
            .graphql(
                "query($u: String!, $f: String!, $t: String!) { baselineSeries(meterableUnitId: $u, from: $f, to: $t) { start kw } }",
                json!({"u": unit, "f": rfc3339(from), "t": rfc3339(to)}),
                None,
            )
            .await?;
        Ok(serde_json::from_value(answer["baselineSeries"].clone())?)
    }

    /// Posts readings; a retry with the same key stores nothing twice.
    pub async fn post_readings(
        &self,
        readings: Vec<ReadingInput>,
        key: &str,
    ) -> Result<IngestSummary> {
        let response = self
            .http
            .post(format!("{}/api/v2/readings", self.base))
            .bearer_auth(&self.token)
            .header("Idempotency-Key", key)
            .json(&ReadingsBatch { readings })
            .send()
            .await
            .context("POST /api/v2/readings")?;
        parse("POST /api/v2/readings", response).await
    }

    /// One GraphQL operation with the token, or with a session cookie when given; the
    /// answer's `data`, or its first error.
    async fn graphql(&self, query: &str, variables: Value, cookie: Option<&str>) -> Result<Value> {
        let mut request = self
            .http
            .post(format!("{}/graphql", self.base))
            .json(&json!({"query": query, "variables": variables}));
        request = match cookie {
            Some(cookie) => request.header(reqwest::header::COOKIE, cookie),
            None => request.bearer_auth(&self.token),
        };
        let answer: Value = parse("POST /graphql", request.send().await?).await?;
        if let Some(error) = answer["errors"].get(0) {
            bail!("GraphQL: {}", error["message"].as_str().unwrap_or("error"));
        }
        Ok(answer["data"].clone())
    }

    /// Signs in as a user of the company (password, then the authenticator code) and
    /// returns the session cookie.
    async fn sign_in(&self, user: &SignIn) -> Result<String> {
        let cookie_of = |response: &reqwest::Response| -> Option<String> {
            response
                .headers()
                .get_all(reqwest::header::SET_COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .filter_map(|v| v.split(';').next())
                .find(|pair| pair.contains("openflex_session=") && !pair.ends_with('='))
                .map(str::to_owned)
        };
        let response = self
            .http
            .post(format!("{}/auth/login", self.base))
            .json(&LoginRequest {
                email: user.email.clone(),
                password: user.password.clone(),
            })
            .send()
            .await?;
        let cookie = cookie_of(&response);
        let progress: SignInProgress = parse("signing in", response).await?;
        let cookie = cookie.ok_or_else(|| anyhow!("signing in: no session cookie"))?;
        match progress.next {
            NextStep::Done => return Ok(cookie),
            NextStep::TotpSetup => {
                bail!(
                    "this user has not set up an authenticator app yet: sign in once in the browser"
                )
            }
            NextStep::SecondFactor => {}
        }
        let secret = totp_rs::Secret::try_from_base32(user.totp_secret.trim())
            .map_err(|e| anyhow!("OPENFLEX_TOTP_SECRET is not base32: {e}"))?;
        let now = u64::try_from(Utc::now().timestamp()).unwrap_or_default();
        let code = totp_rs::Builder::new()
            .with_algorithm(totp_rs::Algorithm::SHA1)
            .with_digits(6)
            .with_step_duration(30)
            .with_secret(secret.as_bytes().to_vec())
            .with_account_name(user.email.replace(':', "_"))
            .build()
            .map_err(|e| anyhow!("the authenticator secret: {e}"))?
            .generate(now)
            .to_string();
        let response = self
            .http
            .post(format!("{}/auth/totp", self.base))
            .header(reqwest::header::COOKIE, &cookie)
            .json(&CodeRequest { code })
            .send()
            .await?;
        let renewed = cookie_of(&response);
        let _: SignInProgress = parse("the authenticator code", response).await?;
        Ok(renewed.unwrap_or(cookie))
    }

    /// Makes `endpoint` the company's dispatch endpoint (by API). Returns the signing
    /// secret when this was the company's first endpoint (the server creates it then).
    pub async fn register(&self, user: &SignIn, endpoint: &str) -> Result<Option<String>> {
        let cookie = self.sign_in(user).await?;
        let data = self
            .graphql(
                "mutation($u: String) { updateDispatchSettings(endpointUrl: $u, delivery: API) { endpointUrl newSecret } }",
                json!({"u": endpoint}),
                Some(&cookie),
            )
            .await?;
        Ok(data["updateDispatchSettings"]["newSecret"]
            .as_str()
            .map(str::to_owned))
    }
}
