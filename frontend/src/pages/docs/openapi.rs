//! The Participant API and the webhook contract, rendered from the server's own OpenAPI
//! document: every route, message, schema and example, with the descriptions' markdown
//! rendered. Nothing is fetched from outside the product.

use super::{Breadcrumb, Markdown};
use crate::api::docs;
use leptos::prelude::*;
use serde_json::{Map, Value};

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

#[component]
pub fn ParticipantApiPage() -> impl IntoView {
    let doc = LocalResource::new(docs::openapi);
    view! {
        <Breadcrumb here="Participant API"/>
        {move || match doc.get() {
            Some(Ok(doc)) => render_openapi(&doc).into_any(),
            Some(Err(e)) => view! { <p class="error">{e}</p> }.into_any(),
            None => view! { <p>"Loading the API description…"</p> }.into_any(),
        }}
    }
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn render_openapi(doc: &Value) -> impl IntoView + use<> {
    let info = doc.get("info").cloned().unwrap_or(Value::Null);
    let title = text(&info, "title").to_owned();
    let version = text(&info, "version").to_owned();
    let description = text(&info, "description").to_owned();
    let openapi = text(doc, "openapi").to_owned();
    let tags: Vec<(String, String)> = doc
        .get("tags")
        .and_then(Value::as_array)
        .map(|tags| {
            tags.iter()
                .map(|t| {
                    (
                        text(t, "name").to_owned(),
                        text(t, "description").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let operations = operations(doc);
    let schemas: Vec<String> = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    view! {
        <h1>{title}</h1>
        <p class="muted">"Version "{version}" · OpenAPI "{openapi}" · "
            <a href="/api/v2/openapi.json" rel="external" download="openflex-openapi.json">"Download openapi.json"</a></p>
        <section class="card"><Markdown source=description/></section>
        <nav class="card doc-toc">
            <h2>"Routes"</h2>
            <ul>
                {operations.iter().map(|op| {
                    let anchor = format!("#{}", op.anchor());
                    view! {
                        <li><a href=anchor rel="external"><span class=format!("method {}", op.method)>{op.method.to_uppercase()}</span>" "<code>{op.path.clone()}</code></a>
                            " "<span class="muted">{op.summary()}</span></li>
                    }
                }).collect_view()}
            </ul>
        </nav>
        {tags.into_iter().map(|(tag, about)| {
            let ops: Vec<Operation> = operations.iter().filter(|o| o.tag == tag).cloned().collect();
            if ops.is_empty() && tag == "webhooks" {
                return view! {
                    <h2 class="doc-tag">{tag}</h2>
                    <Markdown source=about/>
                    <p><a href="/developers/webhooks">"The messages, their headers and schemas"</a></p>
                }.into_any();
            }
            view! {
                <h2 class="doc-tag">{tag}</h2>
                <Markdown source=about/>
                {ops.into_iter().map(|op| render_operation(doc, op)).collect_view()}
            }.into_any()
        }).collect_view()}
        <h2 class="doc-tag" id="schemas">"Schemas"</h2>
        {render_schemas(doc, schemas)}
    }
}

/// The named component schemas, each with its fields and example.
fn render_schemas(doc: &Value, names: Vec<String>) -> impl IntoView + use<> {
    names
        .into_iter()
        .filter_map(|name| {
            let schema = doc.pointer(&format!("/components/schemas/{name}"))?.clone();
            let rows = fields(doc, &schema);
            let example = schema.get("example").map(pretty);
            let summary = type_name(&schema);
            let anchor = format!("schema-{name}");
            Some(view! {
                <section class="card doc-schema" id=anchor>
                    <h3><code>{name}</code></h3>
                    <Markdown source=text(&schema, "description").to_owned()/>
                    {if rows.is_empty() {
                        let rules = constraints(&schema);
                        view! {
                            <p>"Type: "<code>{summary}</code></p>
                            {(!rules.is_empty()).then(|| view! { <p>{rules}</p> })}
                        }
                        .into_any()
                    } else {
                        field_table(rows).into_any()
                    }}
                    {example.map(|e| view! { <p class="muted">"Example"</p><pre class="code">{e}</pre> })}
                </section>
            })
        })
        .collect_view()
}

#[component]
pub fn WebhooksPage() -> impl IntoView {
    let doc = LocalResource::new(docs::openapi);
    view! {
        <Breadcrumb here="Webhooks"/>
        <h1>"Dispatch messages (webhooks)"</h1>
        <section class="card">
            <p>"Openflex posts each dispatch message to your endpoint, "<code>"{base url}/dispatch"</code>
               ", as JSON signed the "<a href="https://www.standardwebhooks.com/" rel="external">"Standard Webhooks"</a>" way. "
               "The same contract is the "<code>"webhooks"</code>" section of "
               <a href="/api/v2/openapi.json" rel="external" download="openflex-openapi.json">"openapi.json"</a>
               "; "<a href="/developers/receiving-dispatches">"Receiving dispatches"</a>" shows how to set up and check a receiver."</p>
        </section>
        {move || match doc.get() {
            Some(Ok(doc)) => render_webhooks(&doc).into_any(),
            Some(Err(e)) => view! { <p class="error">{e}</p> }.into_any(),
            None => view! { <p>"Loading the API description…"</p> }.into_any(),
        }}
    }
}

fn render_webhooks(doc: &Value) -> impl IntoView + use<> {
    let messages: Vec<Operation> = doc
        .get("webhooks")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(kind, item)| {
                    Some(Operation {
                        method: "post",
                        path: kind.clone(),
                        tag: "webhooks".to_owned(),
                        body: item.get("post")?.clone(),
                        webhook: true,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    // The schemas the message bodies use, and the ones those use.
    let mut names: Vec<String> = Vec::new();
    let mut pending: Vec<String> = messages
        .iter()
        .filter_map(|m| {
            m.body
                .pointer("/requestBody/content/application~1json/schema")
        })
        .flat_map(references)
        .collect();
    while let Some(name) = pending.pop() {
        if names.contains(&name) {
            continue;
        }
        if let Some(schema) = doc.pointer(&format!("/components/schemas/{name}")) {
            pending.extend(references(schema));
        }
        names.push(name);
    }
    names.sort();
    view! {
        <nav class="card doc-toc">
            <h2>"Messages"</h2>
            <ul>
                {messages.iter().map(|op| {
                    let anchor = format!("#{}", op.anchor());
                    view! { <li><a href=anchor rel="external"><code>{op.path.clone()}</code></a>" "<span class="muted">{op.summary()}</span></li> }
                }).collect_view()}
            </ul>
        </nav>
        {messages.into_iter().map(|op| render_operation(doc, op)).collect_view()}
        <h2 class="doc-tag" id="schemas">"Schemas"</h2>
        {render_schemas(doc, names)}
    }
}

/// The component schemas a schema names, at any depth of its own tree.
fn references(schema: &Value) -> Vec<String> {
    match schema {
        Value::Object(map) => map
            .iter()
            .flat_map(|(key, value)| match (key.as_str(), value) {
                ("$ref", Value::String(r)) => r
                    .strip_prefix("#/components/schemas/")
                    .map(|n| vec![n.to_owned()])
                    .unwrap_or_default(),
                _ => references(value),
            })
            .collect(),
        Value::Array(items) => items.iter().flat_map(references).collect(),
        _ => Vec::new(),
    }
}

#[derive(Clone)]
struct Operation {
    method: &'static str,
    path: String,
    tag: String,
    body: Value,
    /// A message Openflex sends, not a route it serves.
    webhook: bool,
}

impl Operation {
    fn anchor(&self) -> String {
        let path: String = self
            .path
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        if self.webhook {
            format!("message-{path}")
        } else {
            format!("op-{}{path}", self.method)
        }
    }

    fn summary(&self) -> String {
        let s = text(&self.body, "summary");
        if s.is_empty() {
            text(&self.body, "description")
                .split(". ")
                .next()
                .unwrap_or_default()
                .to_owned()
        } else {
            s.to_owned()
        }
    }
}

fn operations(doc: &Value) -> Vec<Operation> {
    let mut out = Vec::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return out;
    };
    for (path, item) in paths {
        for method in METHODS {
            if let Some(body) = item.get(method) {
                out.push(Operation {
                    method,
                    path: path.clone(),
                    tag: body
                        .get("tags")
                        .and_then(|t| t.get(0))
                        .and_then(Value::as_str)
                        .unwrap_or("other")
                        .to_owned(),
                    body: body.clone(),
                    webhook: false,
                });
            }
        }
    }
    out
}

fn render_operation(doc: &Value, op: Operation) -> impl IntoView + use<> {
    let anchor = op.anchor();
    let summary = text(&op.body, "summary").to_owned();
    let description = text(&op.body, "description").to_owned();
    let public = op
        .body
        .get("security")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().all(|r| r.as_object().is_some_and(Map::is_empty)));
    let parameters: Vec<Value> = op
        .body
        .get("parameters")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let request = op.body.get("requestBody").cloned();
    let responses: Vec<(String, Value)> = op
        .body
        .get("responses")
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    view! {
        <section class="card doc-op" id=anchor>
            {if op.webhook {
                view! { <h3><code>{op.path.clone()}</code></h3> }.into_any()
            } else {
                view! { <h3><span class=format!("method {}", op.method)>{op.method.to_uppercase()}</span>" "<code>{op.path.clone()}</code></h3> }.into_any()
            }}
            <p class="prose"><strong>{summary}</strong></p>
            <Markdown source=description/>
            <p class="muted">{if op.webhook {
                "Openflex sends this: POST {base url}/dispatch, with the headers below."
            } else if public {
                "No token needed."
            } else {
                "Needs an API token (Authorization: Bearer oflx_…) or a signed-in session."
            }}</p>
            {(!parameters.is_empty()).then(|| view! {
                <h4>{if op.webhook { "Headers" } else { "Parameters" }}</h4>
                <table class="grid doc-params">
                    <thead><tr><th>"Name"</th><th>"In"</th><th>"Type"</th><th>"Required"</th><th>"Description"</th></tr></thead>
                    <tbody>
                        {parameters.into_iter().map(|p| {
                            let schema = p.get("schema").cloned().unwrap_or(Value::Null);
                            view! {
                                <tr>
                                    <td><code>{text(&p, "name").to_owned()}</code></td>
                                    <td>{text(&p, "in").to_owned()}</td>
                                    <td>{schema_link(&schema)}</td>
                                    <td>{if p.get("required").and_then(Value::as_bool).unwrap_or(false) { "yes" } else { "no" }}</td>
                                    <td><Markdown source=text(&p, "description").to_owned()/></td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            })}
            {request.map(|body| view! {
                <h4>"Request body"</h4>
                {contents(doc, &body)}
            })}
            <h4>"Responses"</h4>
            {responses.into_iter().map(|(status, response)| view! {
                <div class="doc-response">
                    <p><strong class=format!("status s{}", status.chars().next().unwrap_or('0'))>{status.clone()}</strong>" "
                        <Markdown source=text(&response, "description").to_owned() inline=true/></p>
                    {response.get("headers").and_then(Value::as_object).map(|headers| view! {
                        <ul class="muted">
                            {headers.iter().map(|(name, h)| view! {
                                <li>"Header "<code>{name.clone()}</code>": "{text(h, "description").to_owned()}</li>
                            }).collect_view()}
                        </ul>
                    })}
                    {contents(doc, &response)}
                </div>
            }).collect_view()}
        </section>
    }
}

/// A request body's or response's media types, each with its schema and example.
fn contents(doc: &Value, holder: &Value) -> impl IntoView + use<> {
    let media: Vec<(String, Value)> = holder
        .get("content")
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    media
        .into_iter()
        .map(|(content_type, m)| {
            let schema = m.get("schema").cloned().unwrap_or(Value::Null);
            let example = m
                .get("example")
                .or_else(|| resolve(doc, &schema).and_then(|s| s.get("example")))
                .map(pretty);
            view! {
                <p class="muted"><code>{content_type}</code>" · "{schema_link(&schema)}</p>
                {example.map(|e| view! { <pre class="code">{e}</pre> })}
            }
        })
        .collect_view()
}

/// A schema's name linking to its description, or its inline type.
fn schema_link(schema: &Value) -> AnyView {
    let target = schema
        .get("$ref")
        .or_else(|| schema.pointer("/items/$ref"))
        .and_then(Value::as_str)
        .and_then(|r| r.rsplit('/').next())
        .map(str::to_owned);
    match target {
        Some(name) => {
            let label = type_name(schema);
            view! { <a href=format!("#schema-{name}") rel="external"><code>{label}</code></a> }
                .into_any()
        }
        None => view! { <code>{type_name(schema)}</code> }.into_any(),
    }
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> Option<&'a Value> {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => doc.pointer(r.strip_prefix('#')?),
        None => Some(schema),
    }
}

/// A readable type: `Reading`, `array of Reading`, `string | null`, `one of A, B`.
fn type_name(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return r.rsplit('/').next().unwrap_or(r).to_owned();
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let values: Vec<String> = values
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .collect();
        return format!("one of {}", values.join(", "));
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(options) = schema.get(key).and_then(Value::as_array) {
            return options
                .iter()
                .map(type_name)
                .collect::<Vec<_>>()
                .join(" | ");
        }
    }
    let types: Vec<String> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    if types.is_empty() {
        return "any".to_owned();
    }
    types
        .iter()
        .map(|t| match (t.as_str(), schema.get("items")) {
            ("array", Some(items)) => format!("array of {}", type_name(items)),
            (t, _) => match schema.get("format").and_then(Value::as_str) {
                Some(f) if t != "null" => format!("{t} ({f})"),
                _ => t.to_owned(),
            },
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

/// What a scalar schema allows beyond its type, in words: pattern, lengths, bounds.
fn constraints(schema: &Value) -> String {
    let number = |key: &str| schema.get(key).map(Value::to_string);
    let mut rules = Vec::new();
    if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
        rules.push(format!("matches {pattern}"));
    }
    match (number("minLength"), number("maxLength")) {
        (Some(min), Some(max)) if min == max => rules.push(format!("{min} characters")),
        (Some(min), Some(max)) => rules.push(format!("{min} to {max} characters")),
        _ => {}
    }
    match (number("minimum"), number("maximum")) {
        (Some(min), Some(max)) => rules.push(format!("{min} to {max}")),
        (Some(min), None) => rules.push(format!("at least {min}")),
        _ => {}
    }
    if let Some(default) = number("default") {
        rules.push(format!("default {default}"));
    }
    rules.join("; ")
}

struct Field {
    name: String,
    ty: Value,
    required: bool,
    description: String,
}

/// An object schema's properties, following `$ref` and `allOf`.
fn fields(doc: &Value, schema: &Value) -> Vec<Field> {
    let Some(schema) = resolve(doc, schema) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        for part in parts {
            out.extend(fields(doc, part));
        }
    }
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        for (name, property) in properties {
            out.push(Field {
                name: name.clone(),
                ty: property.clone(),
                required: required.contains(&name.as_str()),
                description: text(property, "description").to_owned(),
            });
        }
    }
    out
}

fn field_table(rows: Vec<Field>) -> impl IntoView {
    view! {
        <table class="grid doc-fields">
            <thead><tr><th>"Field"</th><th>"Type"</th><th>"Required"</th><th>"Description"</th></tr></thead>
            <tbody>
                {rows.into_iter().map(|f| view! {
                    <tr>
                        <td><code>{f.name}</code></td>
                        <td>{schema_link(&f.ty)}</td>
                        <td>{if f.required { "yes" } else { "no" }}</td>
                        <td><Markdown source=f.description/></td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

fn pretty(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => serde_json::to_string_pretty(other).unwrap_or_default(),
    }
}
