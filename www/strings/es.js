// Spanish texts of the checkout snippet (en.js: the keys, and the fallback
// for a text missing here).
import en from "./en.js";

export default {
  ...en,
  region: "Ofertas seleccionadas para ti",
  close: "Cerrar ofertas",
  accepted: "Aceptado.",
  acceptedNoEmail: "Aceptado. No se enviará ningún correo.",
  onItsWay: "¡Gracias! Tu oferta está en camino.",
  emailSent: "¡Gracias! Tu confirmación está en camino a tu bandeja de entrada.",
  emailPrompt: "¿A dónde enviamos tu confirmación?",
  emailInvalid: "Revisa la dirección de correo electrónico.",
  send: "Enviar",
  cancel: "Cancelar",
  added: "Añadido a tu pedido. ¡Gracias!",
  addPending: "Aceptado. Añadiéndolo a tu pedido…",
  addUnconfirmed: "Aceptado. No pudimos confirmar que se añadiera a tu pedido.",
  code: "Tu código: {code}",
  codePending: "Tu código está en camino",
  codeRefused: "No se pudo emitir este código",
  codeGone: "No quedan códigos para esta oferta",
};
