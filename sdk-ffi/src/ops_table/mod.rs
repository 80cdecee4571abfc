//! The one table of operations that both binding layers forward to `community-sdk`, and the
//! generator that writes them.
//!
//! Each row names an operation of a client, community, channel or thread handle once: its
//! method, its parameters (with how each travels to Kotlin/Swift/Python and to C), its
//! result and the call on the SDK handle. From the table come `uniffi_api/generated.rs`
//! (the methods of the `Client`, `Community`, `Channel` and `ChannelThread` objects) and
//! `capi/generated.rs` (the `csdk_client_*`, `csdk_community_*`, `csdk_channel_*` and
//! `csdk_thread_*` functions, seen by cbindgen like any hand-written function). Adding
//! an operation to both layers is one row here, then
//! `UPDATE_GENERATED=1 cargo test -p community-sdk-ffi generated_bindings_are_fresh`;
//! the same test (without the variable) fails when the checked-in files are stale.
//!
//! A row runs in one of three ways ([`Mode`]): a call to the server (async in uniffi,
//! blocking in C), a read of the cache (synchronous, infallible; with parameters through
//! [`cached_with`], e.g. a user's profile or display name), or a check against the cache
//! (synchronous, failing with the error the server would give). A plain string result
//! ([`R::Text`], a display name) reaches C as a string, not as JSON.
//!
//! The people's rows (`rows/people.rs`) need no handle of their own: a conversation's
//! message stream is a channel of the reserved community `@me`, served by the channel rows.
//!
//! A thread's message stream is a channel handle on the thread (`ThreadHandle::messages`):
//! in uniffi, `ChannelThread.messages()` returns a `Channel` whose methods are the
//! channel rows; in C, each channel row marked [`Op::in_threads`] also gives a
//! `csdk_thread_<method>` function that takes the thread's id after its channel's.
//!
//! Operations that are not plain forwarding (creating objects, subscriptions, the client's
//! session calls) stay hand-written next to the generated ones.

mod rows;

use std::fmt::Write as _;

use rows::ops;

/// Which handle an operation runs on.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum On {
    Client,
    Community,
    Channel,
    Thread,
}

impl On {
    fn object(self) -> &'static str {
        match self {
            On::Client => "Client",
            On::Community => "Community",
            On::Channel => "Channel",
            On::Thread => "ChannelThread",
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            On::Client => "csdk_client_",
            On::Community => "csdk_community_",
            On::Channel => "csdk_channel_",
            On::Thread => "csdk_thread_",
        }
    }

    /// The uniffi expression of the SDK handle (the client may be closed).
    fn uniffi_handle(self) -> &'static str {
        match self {
            On::Client => "&self.sdk()?",
            On::Community | On::Channel | On::Thread => "&self.inner",
        }
    }

    /// The C parameters naming the handle, and the expression resolving it.
    fn c_handle(self) -> (&'static [&'static str], &'static str) {
        match self {
            On::Client => (&["client: *const CsdkClient"], "client_arg(client)?"),
            On::Community => (
                &["client: *const CsdkClient", "community_id: *const c_char"],
                "community_arg(client, community_id)?",
            ),
            On::Channel => (
                &[
                    "client: *const CsdkClient",
                    "community_id: *const c_char",
                    "channel_id: *const c_char",
                ],
                "channel_arg(client, community_id, channel_id)?",
            ),
            On::Thread => (
                &[
                    "client: *const CsdkClient",
                    "community_id: *const c_char",
                    "channel_id: *const c_char",
                    "thread_id: *const c_char",
                ],
                "thread_arg(client, community_id, channel_id, thread_id)?",
            ),
        }
    }

    fn c_ids(self) -> &'static str {
        match self {
            On::Client => "",
            On::Community => "`community_id` and ",
            On::Channel => "`community_id`, `channel_id` and ",
            On::Thread => "`community_id`, `channel_id`, `thread_id` and ",
        }
    }
}

/// How a parameter travels: its uniffi type, and its C form.
#[derive(Clone, Copy)]
pub(super) enum P {
    /// A required string (`String`; C: NUL-terminated).
    Str(&'static str),
    /// An optional string (`Option<String>`; C: NULL for none).
    OptStr(&'static str),
    /// A record or list (`T`; C: its JSON, required).
    Json(&'static str, &'static str),
    /// A record (`T`; C: its JSON, NULL for the default).
    JsonOr(&'static str, &'static str),
    /// A field-less enum (`T`; C: its snake_case name).
    Enum(&'static str, &'static str),
    /// A number or flag, the same in C.
    Plain(&'static str, &'static str),
    /// `Option<u32>`; C: `uint32_t`, 0 for none.
    U32OrZero(&'static str),
    /// `Option<u64>`; C: `uint64_t`, 0 for none.
    U64OrZero(&'static str),
    /// `Option<i64>`; C: `int64_t`, negative for none.
    I64OrNegative(&'static str),
    /// `Option<i64>`; C: `int64_t`, 0 or negative for none.
    I64OrNonPositive(&'static str),
}

impl P {
    fn name(self) -> &'static str {
        match self {
            P::Str(n)
            | P::OptStr(n)
            | P::Json(n, _)
            | P::JsonOr(n, _)
            | P::Enum(n, _)
            | P::Plain(n, _)
            | P::U32OrZero(n)
            | P::U64OrZero(n)
            | P::I64OrNegative(n)
            | P::I64OrNonPositive(n) => n,
        }
    }

    fn uniffi_type(self) -> String {
        match self {
            P::Str(_) => "String".into(),
            P::OptStr(_) => "Option<String>".into(),
            P::Json(_, t) | P::JsonOr(_, t) | P::Enum(_, t) | P::Plain(_, t) => t.into(),
            P::U32OrZero(_) => "Option<u32>".into(),
            P::U64OrZero(_) => "Option<u64>".into(),
            P::I64OrNegative(_) | P::I64OrNonPositive(_) => "Option<i64>".into(),
        }
    }

    fn c_param(self) -> String {
        let n = self.name();
        match self {
            P::Str(_) | P::OptStr(_) | P::Enum(..) => format!("{n}: *const c_char"),
            P::Json(..) | P::JsonOr(..) => format!("{n}_json: *const c_char"),
            P::Plain(_, t) => format!("{n}: {t}"),
            P::U32OrZero(_) => format!("{n}: u32"),
            P::U64OrZero(_) => format!("{n}: u64"),
            P::I64OrNegative(_) | P::I64OrNonPositive(_) => format!("{n}: i64"),
        }
    }

    /// The statement that turns the C argument into the uniffi value (inside `unsafe`).
    fn c_parse(self) -> Option<String> {
        let n = self.name();
        Some(match self {
            P::Str(_) => format!("let {n} = str_arg({n}, \"{n}\")?.to_owned();"),
            P::OptStr(_) => format!("let {n} = opt_str_arg({n}, \"{n}\")?;"),
            P::Json(_, t) => format!("let {n}: {t} = json_arg({n}_json, \"{n}_json\", None)?;"),
            P::JsonOr(_, t) => {
                format!("let {n}: {t} = json_arg({n}_json, \"{n}_json\", Some({t}::default))?;")
            }
            P::Enum(_, t) => format!("let {n}: {t} = enum_arg({n}, \"{n}\")?;"),
            P::Plain(..) => return None,
            P::U32OrZero(_) | P::U64OrZero(_) => format!("let {n} = ({n} != 0).then_some({n});"),
            P::I64OrNegative(_) => format!("let {n} = ({n} >= 0).then_some({n});"),
            P::I64OrNonPositive(_) => format!("let {n} = ({n} > 0).then_some({n});"),
        })
    }

    /// The C documentation of the parameter, when it needs one.
    fn c_doc(self) -> Option<String> {
        let n = self.name();
        match self {
            P::Json(_, t) => Some(format!("`{n}_json`: `{t}` JSON.")),
            P::JsonOr(_, t) => Some(format!("`{n}_json`: `{t}` JSON, or NULL for the default.")),
            P::OptStr(_) => Some(format!("`{n}` may be NULL.")),
            P::Enum(_, t) => Some(format!("`{n}`: a `{t}` name, e.g. as in the JSON records.")),
            P::U32OrZero(_) | P::U64OrZero(_) => Some(format!("`{n}`: 0 for none.")),
            P::I64OrNegative(_) => Some(format!("`{n}`: negative for none.")),
            P::I64OrNonPositive(_) => Some(format!("`{n}`: 0 or negative for none.")),
            P::Str(_) | P::Plain(..) => None,
        }
    }
}

/// What an operation returns.
#[derive(Clone, Copy)]
pub(super) enum R {
    /// Nothing.
    Unit,
    /// A flag (C: `bool *out_done`).
    Bool,
    /// A record converted with `From` (C: its JSON).
    Record(&'static str),
    /// A list of records converted with `From` (C: a JSON array).
    List(&'static str),
    /// An optional record (C: JSON or `null`).
    OptRecord(&'static str),
    /// A number as it is (C: written to `out_<name>`).
    Num(&'static str, &'static str),
    /// An optional number (C: written to `out_<name>`, 0 for none).
    OptNum(&'static str, &'static str),
    /// A string (C: a plain string in `*out_text`, not JSON).
    Text,
}

impl R {
    fn uniffi_type(self) -> String {
        match self {
            R::Unit => "()".into(),
            R::Bool => "bool".into(),
            R::Text => "String".into(),
            R::Record(t) => t.into(),
            R::List(t) => format!("Vec<{t}>"),
            R::OptRecord(t) => format!("Option<{t}>"),
            R::Num(t, _) => t.into(),
            R::OptNum(t, _) => format!("Option<{t}>"),
        }
    }

    /// The conversion applied to the `Result` of an SDK call (uniffi).
    fn convert(self) -> String {
        match self {
            R::Unit | R::Bool | R::Text | R::Num(..) | R::OptNum(..) => String::new(),
            R::Record(t) => format!(".map({t}::from)"),
            R::OptRecord(t) => format!(".map(|v| v.map({t}::from))"),
            R::List(t) => format!(".map(map_vec::<_, {t}>)"),
        }
    }

    /// The conversion applied to the `Result` of an SDK call (C: none is 0).
    fn c_convert(self) -> String {
        match self {
            R::OptNum(..) => ".map(Option::unwrap_or_default)".into(),
            R::Text => ".map(Text)".into(),
            other => other.convert(),
        }
    }

    /// The value of a cached read `call`, converted.
    fn cached_value(self, call: &str) -> String {
        match self {
            R::Unit | R::Bool | R::Text | R::Num(..) | R::OptNum(..) => call.to_string(),
            R::Record(t) => format!("{t}::from({call})"),
            R::OptRecord(t) => format!("{call}.map({t}::from)"),
            R::List(t) => format!("map_vec::<_, {t}>({call})"),
        }
    }

    /// The value of a cached read `call`, converted for C (none is 0).
    fn c_cached_value(self, call: &str) -> String {
        match self {
            R::OptNum(..) => format!("{call}.unwrap_or_default()"),
            R::Text => format!("Text({call})"),
            other => other.cached_value(call),
        }
    }
}

/// How an operation runs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// Asks the server (or waits): async in uniffi, blocking in C.
    Call,
    /// A read of the cache: synchronous, never fails on the SDK side.
    Cached,
    /// A check against the cache: synchronous, fails with the error the server would give.
    Check,
}

/// One operation.
pub(super) struct Op {
    on: On,
    method: &'static str,
    doc: &'static str,
    params: &'static [P],
    result: R,
    /// How it runs.
    mode: Mode,
    /// The call on the SDK handle `c`, without `.await`.
    call: &'static str,
    /// A channel row that also works on a thread's message stream (C: a second function,
    /// `csdk_thread_<method>`).
    in_threads: bool,
}

impl Op {
    /// Marks a channel row as one that also works on a thread's message stream.
    pub(super) const fn in_threads(self) -> Op {
        Op {
            in_threads: true,
            ..self
        }
    }
}

pub(super) const fn op(
    on: On,
    method: &'static str,
    params: &'static [P],
    result: R,
    call: &'static str,
    doc: &'static str,
) -> Op {
    Op {
        on,
        method,
        doc,
        params,
        result,
        mode: Mode::Call,
        call,
        in_threads: false,
    }
}

pub(super) const fn check(
    on: On,
    method: &'static str,
    params: &'static [P],
    call: &'static str,
    doc: &'static str,
) -> Op {
    Op {
        on,
        method,
        doc,
        params,
        result: R::Unit,
        mode: Mode::Check,
        call,
        in_threads: false,
    }
}

pub(super) const fn cached(
    on: On,
    method: &'static str,
    result: R,
    call: &'static str,
    doc: &'static str,
) -> Op {
    cached_with(on, method, &[], result, call, doc)
}

/// A read of the cache that takes parameters (a user id, a conversation id).
pub(super) const fn cached_with(
    on: On,
    method: &'static str,
    params: &'static [P],
    result: R,
    call: &'static str,
    doc: &'static str,
) -> Op {
    Op {
        on,
        method,
        doc,
        params,
        result,
        mode: Mode::Cached,
        call,
        in_threads: false,
    }
}

const HEADER: &str = "// Generated from `sdk-ffi/src/ops_table/rows.rs` by its test `generated_bindings_are_fresh`.\n// Do not edit: change the table and run `UPDATE_GENERATED=1 cargo test -p community-sdk-ffi generated_bindings_are_fresh`.\n";

fn doc_lines(out: &mut String, indent: &str, text: &str) {
    for line in text.lines() {
        if line.is_empty() {
            let _ = writeln!(out, "{indent}///");
        } else {
            let _ = writeln!(out, "{indent}/// {line}");
        }
    }
}

/// The uniffi methods.
fn render_uniffi() -> String {
    let mut out = String::from(HEADER);
    out.push_str(
        "//! The forwarded methods of [`Client`], [`Community`], [`Channel`] and\n\
         //! [`ChannelThread`] (see `ops_table/rows.rs`).\n\n\
         use std::collections::HashMap;\n\n\
         use super::{Channel, ChannelThread, Client, Community, call_on};\n\
         use crate::error::SdkError;\n\
         use crate::records::*;\n",
    );
    for on in [On::Client, On::Community, On::Channel, On::Thread] {
        let _ = write!(
            out,
            "\n#[uniffi::export(async_runtime = \"tokio\")]\nimpl {} {{\n",
            on.object()
        );
        for op in ops().filter(|op| op.on == on) {
            doc_lines(&mut out, "    ", op.doc);
            let params: Vec<String> = op
                .params
                .iter()
                .map(|p| format!(", {}: {}", p.name(), p.uniffi_type()))
                .collect();
            let result = op.result.uniffi_type();
            let handle = on.uniffi_handle();
            if op.mode == Mode::Check {
                let _ = write!(
                    out,
                    "    pub fn {}(&self{}) -> Result<(), SdkError> {{\n        let c = {handle};\n        {}.map_err(SdkError::from)\n    }}\n",
                    op.method,
                    params.concat(),
                    op.call
                );
            } else if op.mode == Mode::Cached && on == On::Client {
                let _ = write!(
                    out,
                    "    pub fn {}(&self{}) -> Result<{result}, SdkError> {{\n        let c = self.sdk()?;\n        Ok({})\n    }}\n",
                    op.method,
                    params.concat(),
                    op.result.cached_value(op.call)
                );
            } else if op.mode == Mode::Cached {
                let _ = write!(
                    out,
                    "    pub fn {}(&self{}) -> {result} {{\n        let c = {handle};\n        {}\n    }}\n",
                    op.method,
                    params.concat(),
                    op.result.cached_value(op.call)
                );
            } else {
                let _ = write!(
                    out,
                    "    pub async fn {}(&self{}) -> Result<{result}, SdkError> {{\n        call_on({handle}, move |c| async move {{ {}.await{} }}).await\n    }}\n",
                    op.method,
                    params.concat(),
                    op.call,
                    op.result.convert()
                );
            }
            out.push('\n');
        }
        out.truncate(out.trim_end().len());
        out.push_str("\n}\n");
    }
    out
}

/// The C functions.
fn render_c() -> String {
    let mut out = String::from(HEADER);
    out.push_str(
        "//! The forwarded `csdk_client_*`, `csdk_community_*`, `csdk_channel_*` and\n\
         //! `csdk_thread_*` functions (see `ops_table/rows.rs`). Each runs on the SDK's runtime,\n\
         //! blocking the calling thread.\n\n\
         use std::collections::HashMap;\n\
         use std::ffi::c_char;\n\n\
         use super::client::{CsdkClient, client_arg};\n\
         use super::forward::{Text, channel_arg, community_arg, forward, read, thread_arg};\n\
         use super::support::{enum_arg, json_arg, opt_str_arg, str_arg};\n\
         use crate::records::*;\n",
    );
    for op in ops() {
        let (handle_params, handle) = op.on.c_handle();
        let name = format!("{}{}", op.on.prefix(), op.method);
        c_function(
            &mut out,
            op,
            &name,
            op.doc,
            handle_params,
            handle,
            op.on.c_ids(),
        );
    }
    for op in ops().filter(|op| op.in_threads) {
        let (handle_params, handle) = On::Thread.c_handle();
        let name = format!("{}{}", On::Thread.prefix(), op.method);
        let doc = format!(
            "`csdk_channel_{}` on the message stream of thread `thread_id` of channel\n\
             `channel_id` (checked in the channel, as the server checks it):\n{}",
            op.method, op.doc
        );
        let handle = format!("{handle}.messages()");
        c_function(
            &mut out,
            op,
            &name,
            &doc,
            handle_params,
            &handle,
            On::Thread.c_ids(),
        );
    }
    out
}

/// The C function `name` of operation `op`, on the SDK handle `handle` named by the C
/// parameters `handle_params`.
fn c_function(
    out: &mut String,
    op: &Op,
    name: &str,
    doc: &str,
    handle_params: &[&str],
    handle: &str,
    ids: &str,
) {
    let _ = writeln!(out);
    doc_lines(out, "", doc);
    let mut notes: Vec<String> = op.params.iter().filter_map(|p| p.c_doc()).collect();
    if op.mode == Mode::Check {
        notes.push("Returns `CSDK_OK` when allowed, else the refusal's code.".into());
    }
    match op.result {
        R::Unit => {}
        R::Bool => notes.push("`*out_done` gets the flag (false on failure).".into()),
        R::Text => notes.push(
            "`*out_text` gets the string (not JSON; free it with `csdk_string_free`).".into(),
        ),
        R::Record(t) => notes.push(format!("`*out_json` gets `{t}` JSON.")),
        R::List(t) => notes.push(format!("`*out_json` gets a JSON array of `{t}`.")),
        R::OptRecord(t) => notes.push(format!("`*out_json` gets `{t}` JSON, or `null`.")),
        R::Num(_, name) => notes.push(format!("`*out_{name}` gets the value (0 on failure).")),
        R::OptNum(_, name) => notes.push(format!(
            "`*out_{name}` gets the value, 0 for none (0 on failure)."
        )),
    }
    if !notes.is_empty() {
        out.push_str("///\n");
        doc_lines(out, "", &notes.join("\n"));
    }
    let _ = write!(
        out,
        "///\n/// # Safety\n/// `client` is a live handle; {ids}the string arguments are NUL-terminated\n/// (or NULL where allowed); out pointers are NULL or writable.\n",
    );
    out.push_str("#[unsafe(no_mangle)]\n");
    let mut params: Vec<String> = handle_params.iter().map(|p| p.to_string()).collect();
    params.extend(op.params.iter().map(|p| p.c_param()));
    let out_arg = match op.result {
        R::Unit => "std::ptr::null_mut::<()>()".to_string(),
        R::Bool => {
            params.push("out_done: *mut bool".into());
            "out_done".into()
        }
        R::Num(t, name) | R::OptNum(t, name) => {
            params.push(format!("out_{name}: *mut {t}"));
            format!("out_{name}")
        }
        R::Text => {
            params.push("out_text: *mut *mut c_char".into());
            "out_text".into()
        }
        _ => {
            params.push("out_json: *mut *mut c_char".into());
            "out_json".into()
        }
    };
    let _ = writeln!(
        out,
        "pub unsafe extern \"C\" fn {name}({}) -> i32 {{",
        params.join(", ")
    );
    let parses: Vec<String> = op.params.iter().filter_map(|p| p.c_parse()).collect();
    out.push_str("    // SAFETY: the caller's contract (above), forwarded.\n");
    if op.mode == Mode::Cached {
        let _ = writeln!(
            out,
            "    unsafe {{ read({out_arg}, || {{ let c = {handle}; {} Ok({}) }}) }}",
            parses.join(" "),
            op.result.c_cached_value(op.call)
        );
    } else if op.mode == Mode::Check {
        let _ = writeln!(
            out,
            "    unsafe {{ read({out_arg}, || {{ let c = {handle}; {} {}.map_err(crate::error::SdkError::from) }}) }}",
            parses.join(" "),
            op.call
        );
    } else {
        let _ = writeln!(
            out,
            "    unsafe {{ forward({out_arg}, || {{ let c = {handle}; {} Ok(async move {{ {}.await{} }}) }}) }}",
            parses.join(" "),
            op.call,
            op.result.c_convert()
        );
    }
    out.push_str("}\n");
}

/// Formats Rust source with rustfmt (edition 2024), as `cargo fmt` would.
fn rustfmt(source: &str) -> String {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2024", "--emit", "stdout"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run rustfmt: {e}"));
    child
        .stdin
        .take()
        .unwrap_or_else(|| panic!("no stdin"))
        .write_all(source.as_bytes())
        .unwrap_or_else(|e| panic!("rustfmt stdin: {e}"));
    let output = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("rustfmt: {e}"));
    assert!(
        output.status.success(),
        "rustfmt failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap_or_else(|e| panic!("rustfmt output: {e}"))
}

#[test]
fn generated_bindings_are_fresh() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = [
        (
            root.join("src/uniffi_api/generated.rs"),
            rustfmt(&render_uniffi()),
        ),
        (root.join("src/capi/generated.rs"), rustfmt(&render_c())),
    ];
    let update = std::env::var_os("UPDATE_GENERATED").is_some();
    for (path, fresh) in files {
        if update {
            std::fs::write(&path, &fresh).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            continue;
        }
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            current == fresh,
            "{} is stale: run UPDATE_GENERATED=1 cargo test -p community-sdk-ffi generated_bindings_are_fresh",
            path.display()
        );
    }
}

#[test]
fn every_operation_is_named_once_per_handle() {
    let mut seen = std::collections::BTreeSet::new();
    for op in ops() {
        assert!(
            seen.insert((op.on.object(), op.method)),
            "{}::{} twice",
            op.on.object(),
            op.method
        );
        assert!(!op.doc.is_empty() && op.call.starts_with("c."));
        assert!(
            !op.in_threads || op.on == On::Channel,
            "{}::{}: only channel rows work on a thread's message stream",
            op.on.object(),
            op.method
        );
    }
    // The C names too: a thread's own operations and its message stream's share a prefix.
    let mut c_names = std::collections::BTreeSet::new();
    let stream = ops()
        .filter(|op| op.in_threads)
        .map(|op| (On::Thread, op.method));
    for (on, method) in ops().map(|op| (op.on, op.method)).chain(stream) {
        let name = format!("{}{method}", on.prefix());
        assert!(c_names.insert(name.clone()), "{name} twice");
    }
}
