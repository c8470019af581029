// German texts of the checkout snippet (en.js: the keys, and the fallback
// for a text missing here).
import en from "./en.js";

export default {
  ...en,
  region: "Für Sie ausgewählte Angebote",
  close: "Angebote schließen",
  accepted: "Angenommen.",
  acceptedNoEmail: "Angenommen. Es wird keine E-Mail gesendet.",
  onItsWay: "Danke! Ihr Angebot ist unterwegs.",
  emailSent: "Danke! Ihre Bestätigung ist auf dem Weg in Ihr Postfach.",
  emailPrompt: "Wohin sollen wir Ihre Bestätigung senden?",
  emailInvalid: "Bitte prüfen Sie die E-Mail-Adresse.",
  send: "Senden",
  cancel: "Abbrechen",
  added: "Zu Ihrer Bestellung hinzugefügt. Vielen Dank!",
  addPending: "Angenommen. Es wird Ihrer Bestellung hinzugefügt …",
  addUnconfirmed: "Angenommen. Wir konnten nicht bestätigen, dass es Ihrer Bestellung hinzugefügt wurde.",
  code: "Ihr Code: {code}",
  codePending: "Ihr Code ist unterwegs",
  codeRefused: "Dieser Code konnte nicht ausgegeben werden",
  codeGone: "Für dieses Angebot sind keine Codes mehr übrig",
};
