// Portuguese texts of the checkout snippet (en.js: the keys, and the fallback
// for a text missing here).
import en from "./en.js";

export default {
  ...en,
  region: "Ofertas selecionadas para você",
  close: "Fechar ofertas",
  accepted: "Aceito.",
  acceptedNoEmail: "Aceito. Nenhum e-mail será enviado.",
  onItsWay: "Obrigado! Sua oferta está a caminho.",
  emailSent: "Obrigado! Sua confirmação está a caminho da sua caixa de entrada.",
  emailPrompt: "Para onde devemos enviar sua confirmação?",
  emailInvalid: "Verifique o endereço de e-mail.",
  send: "Enviar",
  cancel: "Cancelar",
  added: "Adicionado ao seu pedido. Obrigado!",
  addPending: "Aceito. Adicionando ao seu pedido…",
  addUnconfirmed: "Aceito. Não conseguimos confirmar que foi adicionado ao seu pedido.",
  code: "Seu código: {code}",
  codePending: "Seu código está a caminho",
  codeRefused: "Não foi possível emitir este código",
  codeGone: "Não há mais códigos para esta oferta",
};
