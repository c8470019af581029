// Dutch texts of the checkout snippet (en.js: the keys, and the fallback
// for a text missing here).
import en from "./en.js";

export default {
  ...en,
  region: "Aanbiedingen voor u geselecteerd",
  close: "Aanbiedingen sluiten",
  accepted: "Geaccepteerd.",
  acceptedNoEmail: "Geaccepteerd. Er wordt geen e-mail verstuurd.",
  onItsWay: "Bedankt! Uw aanbieding is onderweg.",
  emailSent: "Bedankt! Uw bevestiging is onderweg naar uw inbox.",
  emailPrompt: "Waar mogen we uw bevestiging naartoe sturen?",
  emailInvalid: "Controleer het e-mailadres.",
  send: "Versturen",
  cancel: "Annuleren",
  added: "Toegevoegd aan uw bestelling. Bedankt!",
  addPending: "Geaccepteerd. Wordt aan uw bestelling toegevoegd…",
  addUnconfirmed: "Geaccepteerd. We konden niet bevestigen dat het aan uw bestelling is toegevoegd.",
  code: "Uw code: {code}",
  codePending: "Uw code is onderweg",
  codeRefused: "Deze code kon niet worden uitgegeven",
  codeGone: "Er zijn geen codes meer voor deze aanbieding",
};
