// Inside preview-frame.html: renders the placement the preview page posts
// with the snippet's own component, and posts back the shopper's clicks and
// the content height. Same-origin messages only.
import { renderPlacement } from "../placement.js";

const host = document.getElementById("host");
const post = (message) => parent.postMessage(message, location.origin);
let view = null;

function render(placement, token) {
  if (view) view.remove();
  view = null;
  host.hidden = true;
  if (placement.html && placement.offers.length) {
    view = renderPlacement(host, placement, {
      label: `Offers in placement ${placement.id}`,
      onAccept: (offerId) => post({ type: "action", action: "accept", offerId }),
      onDecline: (offerId) => post({ type: "action", action: "decline", offerId }),
      onClose: () => post({ type: "action", action: "close", offerId: null }),
    });
  }
  post({ type: "rendered", token });
}

window.addEventListener("message", (event) => {
  if (event.origin !== location.origin || event.source !== parent || !event.data) return;
  if (event.data.type === "render") render(event.data.placement, event.data.token);
});

new ResizeObserver(() => post({ type: "height", height: document.documentElement.scrollHeight })).observe(document.body);
post({ type: "ready" });
