//! HTML templates: which contexts accept values, how each is escaped, and
//! every construct refused at compile time (with template name and position).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use offer_edge::template::{html_escape_text, HtmlTemplate, URL_PLACEHOLDER};
use offer_edge::ErrorCode;
use serde_json::json;

fn render(src: &str, data: serde_json::Value) -> String {
    HtmlTemplate::compile("layout", src)
        .unwrap_or_else(|e| panic!("{src}: {e}"))
        .render(&data)
}

/// Assert `src` is refused, the message names the template, the position
/// and contains `why`.
fn refused(src: &str, pos: &str, why: &str) {
    let err = HtmlTemplate::compile("placement:confirmation", src)
        .err()
        .unwrap_or_else(|| panic!("{src:?} should be refused"));
    assert_eq!(err.code(), ErrorCode::TemplateInvalid, "{src}");
    let msg = err.message();
    assert!(
        msg.contains("\"placement:confirmation\"") && msg.contains(&format!(" {pos}:")),
        "{src:?}: {msg:?} should name the template and {pos}"
    );
    assert!(msg.contains(why), "{src:?}: {msg:?} should say {why:?}");
}

#[test]
fn text_and_quoted_attributes_are_escaped() {
    let v = json!({"v": "<b x='1'>\"&`"});
    assert_eq!(
        render("<p>{{v}}</p>", v.clone()),
        "<p>&lt;b x=&#39;1&#39;&gt;&quot;&amp;&#96;</p>"
    );
    assert_eq!(
        render("<p title=\"{{v}}\" class='{{v}}'></p>", v.clone()),
        "<p title=\"&lt;b x=&#39;1&#39;&gt;&quot;&amp;&#96;\" class='&lt;b x=&#39;1&#39;&gt;&quot;&amp;&#96;'></p>"
    );
    assert_eq!(
        render("<textarea>{{v}}</textarea>", json!({"v": "</textarea><b>"})),
        "<textarea>&lt;/textarea&gt;&lt;b&gt;</textarea>"
    );
    assert_eq!(html_escape_text("a<b"), "a&lt;b");
}

#[test]
fn url_attributes_allow_only_safe_schemes() {
    let t = "<a href=\"{{u}}\">x</a>";
    for ok in [
        "https://shop.example/p?id=1",
        "mailto:ada@example.com",
        "tel:+15551234",
        "/offers/1",
        "#terms",
    ] {
        assert_eq!(
            render(t, json!({ "u": ok })),
            format!("<a href=\"{ok}\">x</a>")
        );
    }
    for bad in [
        "javascript:alert(1)",
        " JAVASCRIPT:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,x",
        "vbscript:x",
        "http://x",
        "//evil.example",
    ] {
        assert_eq!(
            render(t, json!({ "u": bad })),
            format!("<a href=\"{URL_PLACEHOLDER}\">x</a>"),
            "{bad:?}"
        );
    }
    // Missing URL with a default: the default is checked like a value.
    assert_eq!(
        render("<img src=\"{{image|/img/default.png}}\">", json!({})),
        "<img src=\"/img/default.png\">"
    );
    // Other URL attributes, namespaced and data- variants.
    for attr in [
        "src",
        "action",
        "formaction",
        "poster",
        "cite",
        "xlink:href",
        "data-href",
        "ping",
        "background",
    ] {
        let src = format!("<x {attr}=\"{{{{u}}}}\">");
        assert_eq!(
            render(&src, json!({"u": "javascript:x"})),
            format!("<x {attr}=\"{URL_PLACEHOLDER}\">")
        );
    }
}

#[test]
fn url_after_a_literal_prefix() {
    assert_eq!(
        render(
            "<a href=\"https://shop.example/search?q={{q}}&amp;ref=oe\">",
            json!({"q": "a b&c=d\"<"})
        ),
        "<a href=\"https://shop.example/search?q=a%20b%26c%3Dd%22%3C&amp;ref=oe\">"
    );
    assert_eq!(
        render(
            "<a href=\"https://shop.example/offers/{{id}}\">",
            json!({"id": "javascript:alert(1) 'x'"})
        ),
        "<a href=\"https://shop.example/offers/javascript:alert%281%29%20%27x%27\">"
    );
    assert_eq!(
        render(
            "<a href=\"/o/{{id}}#{{frag}}\">",
            json!({"id": "1", "frag": "a/b"})
        ),
        "<a href=\"/o/1#a%2Fb\">"
    );
}

#[test]
fn sections_may_span_whole_attributes() {
    let src = "<input type=\"checkbox\" {{#checked}}checked{{/checked}} name=\"x\"><p class=\"a{{#big}} big{{/big}}\">{{#offers}}<i>{{.}}</i>{{/offers}}</p>";
    assert_eq!(
        render(
            src,
            json!({"checked": true, "big": 1, "offers": ["1", "2"]})
        ),
        "<input type=\"checkbox\" checked name=\"x\"><p class=\"a big\"><i>1</i><i>2</i></p>"
    );
    assert_eq!(
        render(src, json!({})),
        "<input type=\"checkbox\"  name=\"x\"><p class=\"a\"></p>"
    );
}

#[test]
fn comments_and_rcdata_in_layout_are_fine() {
    let src = "<!-- offer card --><title>Star</title><p>{{x}}</p><textarea>{{x}}</textarea>";
    assert_eq!(
        render(src, json!({"x": "<"})),
        "<!-- offer card --><title>Star</title><p>&lt;</p><textarea>&lt;</textarea>"
    );
}

/// Elements whose content browsers parse by other rules (foreign SVG/MathML
/// content, raw text) or that load, redirect or submit elsewhere: refused
/// by name, wherever they appear, at the position of their `<`.
const REFUSED_ELEMENTS: [&str; 23] = [
    "script",
    "style",
    "link",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "param",
    "portal",
    "fencedframe",
    "base",
    "meta",
    "form",
    "template",
    "noscript",
    "noembed",
    "noframes",
    "xmp",
    "plaintext",
    "svg",
    "math",
];

#[test]
fn refused_elements_are_refused_anywhere_with_their_position() {
    for el in REFUSED_ELEMENTS {
        refused(&format!("<{el}>"), "1:1", &format!("<{el}>"));
        refused(
            &format!("<p>ok</p>\n  <div><{}/x>", el.to_uppercase()),
            "2:8",
            &format!("<{el}>"),
        );
        refused(
            &format!("{{{{#offers}}}}<{el} title=\"{{{{x}}}}\">{{{{/offers}}}}"),
            "1:12",
            &format!("<{el}>"),
        );
    }
    // Not a tag, so not refused: text, attribute values, comments, RCDATA.
    for ok in [
        "<p>1 &lt;svg&gt; 2</p>",
        "<p title=\"<svg>\">x</p>",
        "<!-- <svg> -->",
        "<textarea><svg></textarea>",
        "<p>a < svg</p>",
        "<svgx></svgx><mathy></mathy><p></svg></p>",
    ] {
        HtmlTemplate::compile("t", ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
}

/// Browsers do not read these elements as raw text inside `<svg>`/`<math>`,
/// so a literal `onerror` or a value in an unquoted attribute hides behind
/// what looked like raw text. Every such template is refused at `<svg>` or
/// `<math>` (we do not model foreign content).
#[test]
fn foreign_content_is_refused_whatever_it_holds() {
    for root in ["svg", "math"] {
        for el in [
            "style", "xmp", "iframe", "noembed", "noframes", "noscript", "title", "textarea",
        ] {
            for src in [
                format!("<{root}><{el}><img src=x onerror=alert(1)></{el}></{root}>"),
                format!("<{root}><{el}><a x=\"</{el}>\" href={{{{v}}}}>click</a></{root}>"),
                format!("<p>hi</p><{root}><{el}><a x='</{el}>' href=\"{{{{v}}}}\">c</a></{el}></{root}>"),
            ] {
                let at = if src.starts_with("<p>") { "1:10" } else { "1:1" };
                refused(&src, at, &format!("<{root}>"));
            }
        }
        refused(
            &format!("<{root}/onload=\"x\">"),
            "1:1",
            &format!("<{root}>"),
        );
    }
}

#[test]
fn refused_value_contexts() {
    refused("<a href={{u}}>", "1:9", "unquoted");
    refused("<p class=x{{c}}>", "1:11", "unquoted");
    refused("<button onclick=\"go('{{id}}')\">", "1:16", "event handler");
    refused("<p style=\"color: {{c}}\">", "1:18", "style");
    refused("<img srcset=\"{{u}} 2x\">", "1:14", "srcset");
    refused("<div srcdoc=\"{{h}}\">", "1:14", "srcdoc");
    refused("<p>ok</p>\n<{{tag}}>", "2:2", "tag name");
    refused("<p {{attr}}=\"1\">", "1:4", "attribute name");
    refused("<p data-{{n}}=\"1\">", "1:9", "attribute name");
    refused("</p {{x}}>", "1:5", "end tag");
    refused("<!-- {{x}} -->", "1:6", "comment");
    refused("<!DOCTYPE {{x}}>", "1:11", "declaration");
    // `<![CDATA[` is a bogus comment in HTML content.
    refused("<![CDATA[ {{x}} ]]>", "1:11", "declaration");
    refused("<a href=\"java{{u}}\">", "1:14", "fixes the scheme");
    refused("<a href=\"{{a}}{{b}}\">", "1:15", "fixes the scheme");
}

#[test]
fn refused_literal_constructs() {
    refused("<p>hi</p>\n  <script>alert(1)</script>", "2:3", "<script>");
    refused("<SCRIPT SRC=\"/x.js\"></SCRIPT>", "1:1", "<script>");
    refused(
        "<a href=\"javascript:alert(1)\">x</a>",
        "1:20",
        "not allowed",
    );
    refused(
        "<a href=\"JaVa\tScRiPt:alert(1)\">x</a>",
        "1:21",
        "not allowed",
    );
    refused(
        "<a href=\"&#106;avascript:alert(1)\">",
        "1:25",
        "not allowed",
    );
    refused(
        "<a href=\"javascript&colon;alert(1)\">",
        "1:26",
        "not allowed",
    );
    refused("<a href=\"data:text/html,x\">", "1:14", "not allowed");
    refused("<a href=javascript:alert(1)>", "1:19", "not allowed");
    refused(
        "<img src=\"x\" onerror=\"alert(1)\">",
        "1:21",
        "event handler",
    );
}

/// Literal URLs are decoded as a browser decodes an attribute value
/// (numeric references with or without `;` and with leading zeros, named
/// references that spell URL syntax, legacy names without `;`), then the
/// URL parser's tab/newline and leading-control stripping applies, then the
/// scheme is checked.
#[test]
fn literal_urls_are_decoded_before_the_scheme_check() {
    for (href, at) in [
        ("javascript&#0000058alert(1)", "1:29"),
        ("javascript&#58alert(1)", "1:24"),
        ("javascript&#x3A(alert(1))", "1:25"),
        ("javascript&#x0003A;alert(1)", "1:28"),
        ("javascript&#X3A//%0aalert(1)", "1:25"),
        ("javascript&#000000000000000000000000000000000000058;alert(1)", "1:61"),
        ("&#106avascript:alert(1)", "1:24"),
        ("&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116&#0000040&#0000049&#0000041", "1:109"),
        ("java&#x09script:alert(1)", "1:25"),
        ("java&#10script:alert(1)", "1:24"),
        ("java&#x0D;script:alert(1)", "1:26"),
        ("&#x20;javascript:alert(1)", "1:26"),
        ("&#1;&#x1F;javascript:alert(1)", "1:30"),
        ("javascript&colon;alert(1)", "1:26"),
        ("java&Tab;script&colon;alert(1)", "1:31"),
        ("java&NewLine;script:alert(1)", "1:29"),
        ("jav&#x61;script&#x3a;alert(1)", "1:30"),
        ("&#x76;bscript:msgbox(1)", "1:23"),
        ("data&colon;text/html,x", "1:20"),
    ] {
        refused(&format!("<a href=\"{href}\">x</a>"), at, "not allowed");
    }
    refused(
        "<img src='java&#x09;script&#x3A;alert(1)'>",
        "1:32",
        "not allowed",
    );
    refused("<a href=java&#58alert(1)>x</a>", "1:17", "not allowed");
    // What decodes to an allowed scheme, or is relative, compiles and is
    // written as is.
    for href in [
        "https&#58;//shop.example/",
        "mailto&colon;ada@example.com",
        "/o?a=1&amp;b=2&copy=3&lt",
        "/o?q=&#x6A;avascript:alert(1)",
        "&#x2F;offers",
        "&sol;&sol;not-protocol-relative-here-but-checked",
    ] {
        let src = format!("<a href=\"{href}\">x</a>");
        if href.starts_with("&sol;") {
            // `&sol;&sol;host` is protocol-relative once decoded: it is a
            // relative URL for the scheme check, like any `//host` literal.
            HtmlTemplate::compile("t", &src).unwrap();
            continue;
        }
        assert_eq!(render(&src, json!({})), src);
    }
}

#[test]
fn refused_section_context_changes() {
    refused("<a {{#x}}href=\"{{/x}}\">", "1:4", "same HTML context");
    refused("<p {{#x}}title=\"{{/x}}x\">", "1:4", "same HTML context");
    refused("{{#x}}<!--{{/x}}-->", "1:1", "same HTML context");
    refused(
        "<a href=\"{{#x}}https://a/{{/x}}{{u}}\">",
        "1:10",
        "same HTML context",
    );
    refused(
        "<a {{#x}}hr{{/x}}ef=\"{{u}}\">",
        "1:18",
        "attribute name continues",
    );
    refused("<a hr{{#x}}ef{{/x}}>", "1:6", "section cannot start");
    refused(
        "<p>{{#x}}<textarea>{{/x}}</textarea></p>",
        "1:4",
        "same HTML context",
    );
    refused("<p class=\"{{x}}", "1:16", "ends inside");
}

#[test]
fn placement_layout_fixture_personalizes_and_escapes() {
    let layout = include_str!("fixtures/templates/placement-layout.html");
    let t = HtmlTemplate::compile("placement:confirmation", layout).unwrap();
    let offer = json!({
        "id": "o-1", "rank": 1, "headline": "Free <b>shipping</b>", "body": "b",
        "cta": "Claim", "image": "javascript:alert(1)", "imageAlt": "\" onerror=\"x",
        "actionType": "link", "actionUrl": "https://shop.example/claim?o=1&r=2",
        "needsConfirmationEmail": true
    });
    let out = t.render(
        &json!({"firstname": "Ada", "placement": {"id": "confirmation"}, "offers": [offer]}),
    );
    assert!(
        out.contains("<h2>Ada, here are some extra perks selected just for you</h2>"),
        "{out}"
    );
    assert!(out.contains("<h3 class=\"oe-headline\">Free &lt;b&gt;shipping&lt;/b&gt;</h3>"));
    assert!(out.contains(&format!(
        "src=\"{URL_PLACEHOLDER}\" alt=\"&quot; onerror=&quot;x\""
    )));
    assert!(out.contains("href=\"https://shop.example/claim?o=1&amp;r=2\""));
    assert!(out.contains("We'll email you a confirmation."));
    assert!(out.contains("href=\"https://offers.example/privacy?p=confirmation\""));
    let anonymous = t.render(&json!({"placement": {"id": "confirmation"}, "offers": []}));
    assert!(anonymous.contains("<h2>there, here are some extra perks selected just for you</h2>"));
    assert!(!anonymous.contains("oe-offer "));
}

proptest::proptest! {
    /// Arbitrary sources never panic the compiler: they compile or are
    /// refused with TEMPLATE_INVALID, and what compiles renders.
    #[test]
    fn arbitrary_sources_compile_or_are_refused(
        src in "([<>/=\"' a-z!?\\[\\]&#;:-]|\\{\\{[#^/!]?[a-z.]{0,3}(\\|[a-z]*)?\\}\\}){0,40}"
    ) {
        match HtmlTemplate::compile("fuzz", &src) {
            Ok(t) => { let _ = t.render(&json!({"a": [1, {"b": "<"}], "b": "x"})); }
            Err(e) => proptest::prop_assert_eq!(e.code(), ErrorCode::TemplateInvalid),
        }
    }
}
