// @ts-check
/** A few DOM helpers: the page is plain DOM, no framework. */

/**
 * An element with attributes (`on…` functions become listeners) and children.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, unknown>} [attributes]
 * @param {(Node|string|null|undefined|false)[]} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), /** @type {EventListener} */ (value));
    } else if (value === true) {
      element.setAttribute(name, '');
    } else {
      element.setAttribute(name, String(value));
    }
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child);
  }
  return element;
}

/**
 * The element with this id; throws when the page has none (a typo, not a state to handle).
 * @template {HTMLElement} T
 * @param {string} id
 * @param {new () => T} type
 * @returns {T}
 */
export function byId(id, type) {
  const element = document.getElementById(id);
  if (!(element instanceof type)) throw new Error(`no ${type.name} #${id}`);
  return element;
}

/**
 * A time as the operator's locale writes it.
 * @param {number|string|null|undefined} time
 */
export function formatTime(time) {
  if (time === null || time === undefined || time === '') return '';
  return new Date(time).toLocaleString();
}

/** @type {HTMLDialogElement | undefined} */
let dialog;

/**
 * Asks the operator to confirm an action in a modal dialog.
 * @param {string} question
 * @param {string} action label of the confirm button
 * @returns {Promise<boolean>}
 */
export function confirmAction(question, action) {
  dialog ??= byId('confirm', HTMLDialogElement);
  const current = dialog;
  byId('confirm-text', HTMLParagraphElement).textContent = question;
  byId('confirm-button', HTMLButtonElement).textContent = action;
  current.returnValue = '';
  current.showModal();
  return new Promise((resolve) => {
    current.addEventListener('close', () => resolve(current.returnValue === 'confirm'), {
      once: true,
    });
  });
}
