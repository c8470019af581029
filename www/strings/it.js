// Italian texts of the checkout snippet (en.js: the keys, and the fallback
// for a text missing here).
import en from "./en.js";

export default {
  ...en,
  region: "Offerte selezionate per te",
  close: "Chiudi le offerte",
  accepted: "Accettato.",
  acceptedNoEmail: "Accettato. Non verrà inviata alcuna email.",
  onItsWay: "Grazie! La tua offerta è in arrivo.",
  emailSent: "Grazie! La tua conferma sta arrivando nella tua casella di posta.",
  emailPrompt: "A quale indirizzo inviamo la conferma?",
  emailInvalid: "Controlla l’indirizzo email.",
  send: "Invia",
  cancel: "Annulla",
  added: "Aggiunto al tuo ordine. Grazie!",
  addPending: "Accettato. Aggiunta al tuo ordine in corso…",
  addUnconfirmed: "Accettato. Non abbiamo potuto confermare l’aggiunta al tuo ordine.",
  code: "Il tuo codice: {code}",
  codePending: "Il tuo codice è in arrivo",
  codeRefused: "Non è stato possibile emettere questo codice",
  codeGone: "Non ci sono più codici per questa offerta",
};
