// French texts of the checkout snippet (en.js: the keys, and the fallback
// for a text missing here).
import en from "./en.js";

export default {
  ...en,
  region: "Offres sélectionnées pour vous",
  close: "Fermer les offres",
  accepted: "Accepté.",
  acceptedNoEmail: "Accepté. Aucun e-mail ne sera envoyé.",
  onItsWay: "Merci ! Votre offre est en route.",
  emailSent: "Merci ! Votre confirmation arrive dans votre boîte de réception.",
  emailPrompt: "À quelle adresse envoyer votre confirmation ?",
  emailInvalid: "Veuillez vérifier l’adresse e-mail.",
  send: "Envoyer",
  cancel: "Annuler",
  added: "Ajouté à votre commande. Merci !",
  addPending: "Accepté. Ajout à votre commande…",
  addUnconfirmed: "Accepté. Nous n’avons pas pu confirmer l’ajout à votre commande.",
  code: "Votre code : {code}",
  codePending: "Votre code est en route",
  codeRefused: "Ce code n’a pas pu être émis",
  codeGone: "Il ne reste plus de codes pour cette offre",
};
