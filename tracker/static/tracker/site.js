// Behaviour for every page, kept out of the templates: the Content Security Policy refuses
// inline scripts and on* attributes. Elements say what they want with data-* attributes.

// <button data-print> prints the page (recording sheets, IV records).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
