//! The OpenAPI 3 document of the REST API, generated from the catalogue.

use axum::Json;
use domain::catalogue::{self, Access, Method, ParamKind};
use serde_json::{json, Map, Value};

fn schema(kind: ParamKind) -> Value {
    match kind {
        ParamKind::File => json!({ "type": "string", "format": "binary" }),
        ParamKind::Password => json!({ "type": "string", "format": "password" }),
        _ => json!({ "type": "string" }),
    }
}

fn operation(m: &Method, post: bool) -> Value {
    let security = match m.access {
        Access::Public => json!([]),
        _ => json!([{ "bearer": [] }, { "session": [] }]),
    };
    let description = match m.scope_note() {
        Some(note) => format!("{}\n\n{note}", m.docs),
        None => m.docs.to_owned(),
    };
    let mut op = json!({
        "operationId": format!("{}{}", m.id.replace('.', "_"), if post { "_post" } else { "" }),
        "summary": m.summary,
        "description": description,
        "tags": [m.service_id()],
        "security": security,
        "responses": {
            "200": {
                "description": "The call's outcome: `result` 0 on success, otherwise a result code with `error`.",
                "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Reply" } } }
            }
        }
    });
    if post {
        let mut properties = Map::new();
        let mut required = Vec::new();
        for p in m.params {
            properties.insert(
                p.name.into(),
                json!({ "description": p.description })
                    .as_object()
                    .map(|d| {
                        let mut s = schema(p.kind);
                        s["description"] = d["description"].clone();
                        s
                    })
                    .unwrap_or_default(),
            );
            if p.required {
                required.push(p.name);
            }
        }
        if m.access != Access::Public {
            properties.insert("session".into(), json!({ "type": "string", "description": "A session or token, unless sent as a Bearer header." }));
        }
        let media = if m.params.iter().any(|p| p.kind == ParamKind::File) {
            "multipart/form-data"
        } else {
            "application/x-www-form-urlencoded"
        };
        // OpenAPI 3.0 wants `required` left out rather than empty.
        let mut body = json!({ "type": "object", "properties": properties });
        if !required.is_empty() {
            body["required"] = json!(required);
        }
        op["requestBody"] = json!({
            "required": !required.is_empty(),
            "content": { media: { "schema": body } }
        });
    } else {
        let params: Vec<Value> = m
            .params
            .iter()
            .filter(|p| p.kind != ParamKind::File)
            .map(|p| {
                json!({
                    "name": p.name,
                    "in": "query",
                    "required": p.required,
                    "description": p.description,
                    "schema": schema(p.kind),
                })
            })
            .collect();
        op["parameters"] = Value::Array(params);
    }
    op
}

pub fn build() -> Value {
    let mut paths = Map::new();
    for m in catalogue::methods() {
        let has_file = m
            .params
            .iter()
            .any(|p| p.kind == ParamKind::File && p.required);
        let mut item = Map::new();
        if !has_file {
            item.insert("get".into(), operation(m, false));
        }
        item.insert("post".into(), operation(m, true));
        paths.insert(m.path(), Value::Object(item));
    }
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Patio platform API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Every method answers HTTP 200 with JSON carrying `result` (0 = success) and, on failure, `error`."
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer" },
                "session": { "type": "apiKey", "in": "query", "name": "session" }
            },
            "schemas": {
                "Reply": {
                    "type": "object",
                    "required": ["result"],
                    "properties": {
                        "result": { "type": "integer", "enum": domain::ResultCode::ALL.iter().map(|c| c.number()).collect::<Vec<_>>() },
                        "error": { "type": "string" }
                    },
                    "additionalProperties": true
                }
            }
        }
    })
}

pub async fn document() -> Json<Value> {
    Json(build())
}
