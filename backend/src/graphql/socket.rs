//! GraphQL over WebSocket (`/graphql/ws`) with the caller re-checked for the socket's whole
//! life: every operation checks the credential again before it runs, a watcher checks it
//! every second while the socket is open, and the socket closes with `4403` as soon as the
//! credential no longer holds (logout, disabled user, password reset, session expiry, a
//! replaced API token) or after 24 hours, whichever comes first. Messages are at most
//! 64 KiB and a socket runs at most 16 operations at once.

use super::AppSchema;
use crate::auth::{self, Credential};
use crate::problem::Problem;
use crate::services::Actor;
use crate::state::AppState;
use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql::{Data, Executor, Request, Response, ServerError};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use axum::extract::{State, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response as HttpResponse};
use futures_util::stream::{BoxStream, StreamExt};
use futures_util::{SinkExt, future};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The largest message a client may send.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// Operations (queries, mutations, subscriptions) one socket may have running at once.
pub const MAX_IN_FLIGHT: usize = 16;
/// How often an open socket's credential is checked again.
pub const RECHECK: Duration = Duration::from_secs(1);
/// The longest a socket stays open, whatever its credential.
pub const MAX_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);
/// The close code for a socket whose credential no longer holds.
pub const CLOSE_REVOKED: u16 = 4403;

/// What one socket knows about its caller, shared by its operations and its watcher.
struct Watch {
    state: AppState,
    credential: Mutex<Option<Credential>>,
    revoked: tokio::sync::Notify,
    in_flight: AtomicUsize,
    /// Set when the socket is closed from our side (revoked or too old).
    closed_by_us: std::sync::atomic::AtomicBool,
}

impl Watch {
    fn credential(&self) -> Option<Credential> {
        self.credential
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The caller as of now, or the refusal that closes the socket.
    async fn actor(&self) -> Result<Actor, async_graphql::Error> {
        let Some(credential) = self.credential() else {
            return Err(super::gql_error(
                crate::services::ServiceError::Unauthenticated,
            ));
        };
        match credential
            .actor(&self.state.db, self.state.clock.now())
            .await
        {
            Ok(actor) => Ok(actor),
            Err(e) => {
                self.revoked.notify_one();
                Err(super::gql_error(e))
            }
        }
    }

    /// Resolves when the socket must close: the credential stopped holding, an operation
    /// found it revoked, or the socket reached its maximum lifetime.
    async fn ended(self: Arc<Self>) {
        let deadline = tokio::time::sleep(MAX_LIFETIME);
        tokio::pin!(deadline);
        let mut tick = tokio::time::interval(RECHECK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = &mut deadline => return,
                () = self.revoked.notified() => return,
                _ = tick.tick() => {
                    if let Some(credential) = self.credential()
                        && !credential.holds(&self.state.db, self.state.clock.now()).await
                    {
                        return;
                    }
                }
            }
        }
    }
}

/// Counts an operation as running until its stream is dropped.
struct InFlight(Arc<Watch>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The schema, behind the per-operation credential check and the in-flight cap.
#[derive(Clone)]
struct CheckedExecutor {
    schema: AppSchema,
    watch: Arc<Watch>,
}

fn refused(message: &str) -> Response {
    Response::from_errors(vec![ServerError::new(message, None)])
}

impl Executor for CheckedExecutor {
    async fn execute(&self, request: Request) -> Response {
        match self.watch.actor().await {
            Ok(actor) => self.schema.execute(request.data(actor)).await,
            Err(e) => Response::from_errors(vec![e.into_server_error(Default::default())]),
        }
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        if self.watch.in_flight.fetch_add(1, Ordering::SeqCst) >= MAX_IN_FLIGHT {
            self.watch.in_flight.fetch_sub(1, Ordering::SeqCst);
            return futures_util::stream::once(future::ready(refused(&format!(
                "at most {MAX_IN_FLIGHT} operations may run at once on one socket; \
                 complete one first"
            ))))
            .boxed();
        }
        let guard = InFlight(self.watch.clone());
        let watch = self.watch.clone();
        let schema = self.schema.clone();
        futures_util::stream::once(async move {
            match watch.actor().await {
                // The fresh caller takes precedence over the one the socket opened with.
                Ok(actor) => schema.execute_stream_with_session_data(
                    request.data(actor),
                    session_data.unwrap_or_default(),
                ),
                Err(e) => futures_util::stream::once(future::ready(Response::from_errors(vec![
                    e.into_server_error(Default::default()),
                ])))
                .boxed(),
            }
        })
        .flatten()
        .map(move |response| {
            let _running = &guard;
            response
        })
        .boxed()
    }
}

/// `GET /graphql/ws`: subscriptions (and any operation) over WebSocket, in the
/// `graphql-transport-ws` protocol or the older `graphql-ws`. The caller is the session or
/// `Authorization` header of the upgrade request or, for clients that cannot set headers,
/// `{"Authorization": "Bearer oflx_…"}` in the `connection_init` payload.
pub async fn graphql_ws(
    State(state): State<AppState>,
    axum::Extension(schema): axum::Extension<AppSchema>,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
    headers: HeaderMap,
) -> HttpResponse {
    // Browsers send cookies with a socket opened from any site: only our own pages may.
    if let Err(p) = auth::check_same_origin(&state, &headers) {
        return p.into_response();
    }
    let credential = match Credential::from_headers(&state, &headers) {
        Ok(credential) => credential,
        Err(e) => return Problem::from(e).into_response(),
    };
    let mut data = Data::default();
    data.insert(state.clone());
    let upgraded_as_someone = credential.is_some();
    if let Some(credential) = &credential {
        match credential.actor(&state.db, state.clock.now()).await {
            Ok(actor) => data.insert(actor),
            Err(e) => return Problem::from(e).into_response(),
        }
    }
    let watch = Arc::new(Watch {
        state: state.clone(),
        credential: Mutex::new(credential),
        revoked: tokio::sync::Notify::new(),
        in_flight: AtomicUsize::new(0),
        closed_by_us: std::sync::atomic::AtomicBool::new(false),
    });
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| serve(socket, schema, protocol, data, watch, upgraded_as_someone))
}

async fn serve(
    socket: WebSocket,
    schema: AppSchema,
    protocol: GraphQLProtocol,
    data: Data,
    watch: Arc<Watch>,
    upgraded_as_someone: bool,
) {
    let executor = CheckedExecutor {
        schema,
        watch: watch.clone(),
    };
    let (mut sink, stream) = socket.split();
    // When the watcher fires the input ends, which ends the protocol's stream.
    let ended = watch.clone().ended();
    let flag = watch.clone();
    let input = stream.take_until(async move {
        ended.await;
        flag.closed_by_us.store(true, Ordering::SeqCst);
    });
    let init_watch = watch.clone();
    GraphQLWebSocket::new_with_pair(&mut sink, input, executor, protocol)
        .with_data(data)
        .on_connection_init(move |payload| async move {
            let mut data = Data::default();
            if upgraded_as_someone {
                return Ok(data);
            }
            let value = payload
                .get("Authorization")
                .or_else(|| payload.get("authorization"))
                .and_then(|v| v.as_str());
            let credential = Credential::from_authorization(value).ok_or_else(|| {
                async_graphql::Error::new(
                    "send {\"Authorization\": \"Bearer oflx_…\"} in connection_init, or \
                     connect with a session",
                )
            })?;
            let actor = credential
                .actor(&init_watch.state.db, init_watch.state.clock.now())
                .await
                .map_err(|e| async_graphql::Error::new(e.to_string()))?;
            data.insert(actor);
            *init_watch
                .credential
                .lock()
                .unwrap_or_else(|e| e.into_inner()) = Some(credential);
            Ok(data)
        })
        .serve()
        .await;
    if !watch.closed_by_us.load(Ordering::SeqCst) {
        return;
    }
    // Closed on our side: say why.
    sink.send(Message::Close(Some(CloseFrame {
        code: CLOSE_REVOKED,
        reason: "the credential no longer holds, or the socket reached its time limit; \
                 sign in or connect again"
            .into(),
    })))
    .await
    .ok();
}
