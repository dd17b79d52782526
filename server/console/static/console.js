// Keyboard: "/" moves to the page's main search or filter field (data-shortcut="/").
document.addEventListener("keydown", (event) => {
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target instanceof HTMLElement && target.closest("input, textarea, select, [contenteditable]")) return;
  const field = document.querySelector('[data-shortcut="/"]');
  if (field instanceof HTMLElement) {
    event.preventDefault();
    field.focus();
  }
});

// A panel htmx has filled is no longer busy (screen readers announce it through aria-live).
document.addEventListener("htmx:afterSwap", (event) => {
  const target = event.detail && event.detail.target;
  if (target instanceof HTMLElement) target.setAttribute("aria-busy", "false");
});
