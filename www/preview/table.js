// The table of every offer's verdict per placement (the decision's
// explanations): reason, score, propensity, tier; sortable by any column
// (header buttons, aria-sort) and filterable by verdict and free text.
import { byId, el, num, relative, utc } from "./dom.js";

const COLUMNS = [
  { key: "offerId", label: "Offer" },
  { key: "advertiser", label: "Advertiser" },
  { key: "placement", label: "Placement" },
  { key: "verdict", label: "Verdict" },
  { key: "message", label: "Reason" },
  { key: "score", label: "Score", numeric: true },
  { key: "propensity", label: "Propensity", numeric: true },
  { key: "tier", label: "Tier", numeric: true },
];
const VERDICT_ORDER = { shown: 0, outranked: 1, ineligible: 2 };

/** A second line for reasons whose dates or counts deserve spelling out. */
export function reasonDetail(reason, now) {
  switch (reason.kind) {
    case "suppressedAfterDecline":
      return `declined ${utc(reason.declinedAt)}; ${reason.until ? `may show again ${utc(reason.until)} (${relative(Date.parse(reason.until), now)})` : "never shown again"}`;
    case "capped":
      return `cap: ${reason.scope} ${reason.max} per ${reason.window}, ${reason.count} impression(s) counted`;
    case "alreadyAccepted":
      return `accepted ${utc(reason.acceptedAt)}`;
    case "notInAudience":
      return reason.identifierPresent ? `shopper's identifier is not in “${reason.audience}”` : "the persona has no email, so audience membership cannot match";
    case "edgeOnly":
      return `edge only: “${reason.audience}” is withheld from this page bundle, so a page cannot tell whether the shopper is on it; the edge decides this offer with the full bundle`;
    case "inSuppressionAudience":
      return `shopper is on the suppression list “${reason.audience}”`;
    case "notStarted":
      return `starts ${utc(reason.start)} (${relative(Date.parse(reason.start), now)})`;
    case "ended":
      return `ended ${utc(reason.end)} (${relative(Date.parse(reason.end), now)})`;
    case "ruleFalse": {
      const seen = Object.entries(reason.seen ?? {}).map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join(", ");
      return seen ? `values seen: ${seen}` : "";
    }
    case "outranked":
      return `beaten by ${reason.byOffer} (tier ${reason.byTier}, score ${num(reason.byScore)})`;
    case "ruleBudget":
      return reason.exceeded === "valueSize"
        ? "the rule built a value over the size limit: simplify it (docs/RULES.md, Budgets)"
        : "this decision's rule budget ran out before this rule finished: make the rules cheaper (docs/RULES.md, Budgets)";
    default:
      return "";
  }
}

/** Wires the table; returns `{render(explanations, advertisers, now), clear(), rows()}`. */
export function explanationTable() {
  const table = byId("explain-table");
  const head = byId("explain-head");
  const body = byId("explain-rows");
  const verdictFilter = byId("explain-verdict");
  const textFilter = byId("explain-filter");
  const count = byId("explain-count");
  let rows = [];
  let sort = { key: "verdict", dir: 1 };

  const headerRow = el("tr");
  const buttons = new Map();
  for (const col of COLUMNS) {
    const button = el("button", { type: "button", class: "sort", text: col.label });
    button.addEventListener("click", () => {
      sort = { key: col.key, dir: sort.key === col.key ? -sort.dir : col.numeric ? -1 : 1 };
      draw();
    });
    buttons.set(col.key, button);
    headerRow.append(el("th", { scope: "col", "data-key": col.key }, button));
  }
  head.replaceChildren(headerRow);

  function compare(a, b) {
    const col = COLUMNS.find((c) => c.key === sort.key);
    let x = a[sort.key];
    let y = b[sort.key];
    if (sort.key === "verdict") [x, y] = [VERDICT_ORDER[x], VERDICT_ORDER[y]];
    let c;
    if (col.numeric || sort.key === "verdict") {
      // Missing numbers sort last in either direction.
      if (x === undefined || x === null) return y === undefined || y === null ? 0 : 1;
      if (y === undefined || y === null) return -1;
      c = x - y;
    } else c = String(x ?? "").localeCompare(String(y ?? ""));
    return c * sort.dir || a.offerId.localeCompare(b.offerId) || a.placement.localeCompare(b.placement);
  }

  function draw() {
    for (const [key, button] of buttons) {
      const th = button.parentElement;
      if (key === sort.key) th.setAttribute("aria-sort", sort.dir > 0 ? "ascending" : "descending");
      else th.removeAttribute("aria-sort");
    }
    const verdict = verdictFilter.value;
    const needle = textFilter.value.trim().toLowerCase();
    const visible = rows
      .filter((r) => !verdict || r.verdict === verdict)
      .filter((r) => !needle || [r.offerId, r.advertiser, r.placement, r.message, r.detail].some((t) => String(t).toLowerCase().includes(needle)))
      .sort(compare);
    body.replaceChildren(...visible.map((r) => el("tr", { "data-offer": r.offerId, "data-placement": r.placement, "data-verdict": r.verdict, "data-kind": r.kind },
      el("td", {}, el("code", { text: r.offerId })),
      el("td", { text: r.advertiser }),
      el("td", { text: r.placement }),
      el("td", {}, el("span", { class: `verdict verdict-${r.verdict}`, text: r.verdict })),
      el("td", { class: "reason" }, el("span", { class: "message", text: r.message }), r.detail ? el("span", { class: "detail", text: r.detail }) : null),
      el("td", { class: "n", text: num(r.score) }),
      el("td", { class: "n", text: num(r.propensity) }),
      el("td", { class: "n", text: String(r.tier) }))));
    count.textContent = `${visible.length} of ${rows.length} rows`;
  }

  verdictFilter.addEventListener("change", draw);
  textFilter.addEventListener("input", draw);

  return {
    render(explanations, advertisers, now) {
      rows = (explanations ?? []).map((x) => ({
        offerId: x.offerId, placement: x.placement, verdict: x.verdict, kind: x.reason.kind, message: x.message,
        detail: reasonDetail(x.reason, now), score: x.score, propensity: x.propensity, tier: x.tier,
        advertiser: advertisers.get(x.offerId) ?? "",
      }));
      table.hidden = false;
      draw();
    },
    clear() {
      rows = [];
      draw();
      table.hidden = true;
    },
  };
}
