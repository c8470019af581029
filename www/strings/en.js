// The checkout snippet's own texts in English: the reference every other
// language's table (www/strings/<lang>.js) translates, key for key, and
// falls back to. Plain text: `{code}` is filled in by the snippet. Loaded
// lazily (www/oe-strings.js), never on the critical path of the offers.
export default {
  region: "Offers selected for you",
  close: "Close offers",
  accepted: "Accepted.",
  acceptedNoEmail: "Accepted. No email will be sent.",
  onItsWay: "Thanks! Your offer is on its way.",
  emailSent: "Thanks! Your confirmation is on its way to your inbox.",
  emailPrompt: "Where should we send your confirmation?",
  emailInvalid: "Please check the email address.",
  send: "Send",
  cancel: "Cancel",
  added: "Added to your order. Thank you!",
  addPending: "Accepted. Adding it to your order…",
  addUnconfirmed: "Accepted. We could not confirm it was added to your order.",
  code: "Your code: {code}",
  codePending: "Your code is on its way",
  codeRefused: "This code could not be issued",
  codeGone: "No codes are left for this offer",
};
