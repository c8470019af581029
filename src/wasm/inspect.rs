//! `inspectBundleFile`: what a bundle file says it is, unverified (the core's
//! `bundle::inspect`), so the preview describes a bundle, or explains why it
//! was refused, without taking the signed formats apart in JS (feature
//! "full").

use crate::bundle::inspect::unverified_contents;
use crate::wasm::JsResult;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_BUNDLE_FILE: &str = r#"
/** A bundle file taken apart by `inspectBundleFile`; nothing in it is verified. */
export interface BundleFile {
  /** "manifest" (format v2), "dsse" (format v1), or "draft" (no signature: the document itself, or no bundle at all). */
  format: "draft" | "dsse" | "manifest";
  /** The bundle document inside the file, parsed; null when it is not JSON. */
  bundle: unknown;
  /** The key ids the signatures name, in file order (not verified). */
  keyIds: string[];
}
"#;

/// Takes a bundle file apart without verifying it: its format, the bundle
/// document inside it (parsed, or `null` when it is not JSON) and the key
/// ids its signatures name. For describing a bundle or explaining a
/// refusal; only `Engine.load` says whether to trust it.
///
/// Throws an `OfferEdgeError` with `code` `ENVELOPE_MALFORMED` (a signed
/// file that is not one) or `PAYLOAD_MALFORMED` (a compiled form).
///
/// @example
/// ```js
/// const { format, bundle, keyIds } = inspectBundleFile(bytes);
/// ```
///
/// # Errors
/// As above, as a thrown JS `Error`.
#[wasm_bindgen(js_name = inspectBundleFile, unchecked_return_type = "BundleFile")]
pub fn inspect_bundle_file(file: &[u8]) -> JsResult<JsValue> {
    let seen = unverified_contents(file)?;
    let bundle = std::str::from_utf8(&seen.bundle)
        .ok()
        .and_then(|text| js_sys::JSON::parse(text).ok())
        .unwrap_or(JsValue::NULL);
    let out = js_sys::Object::new();
    let key_ids: js_sys::Array = seen.key_ids.iter().map(|k| JsValue::from_str(k)).collect();
    js_sys::Reflect::set(&out, &"format".into(), &seen.format.as_str().into())?;
    js_sys::Reflect::set(&out, &"bundle".into(), &bundle)?;
    js_sys::Reflect::set(&out, &"keyIds".into(), &key_ids)?;
    Ok(out.into())
}
