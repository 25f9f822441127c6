/** Stylesheets of the locally served typefaces, relative to the board's `<base href>`. */
const LOCAL_FONT_STYLESHEETS = [
  'fonts/ibm-plex-sans/400.css',
  'fonts/ibm-plex-sans/500.css',
  'fonts/ibm-plex-sans/600.css',
  'fonts/ibm-plex-mono/400.css',
  'fonts/ibm-plex-mono/500.css',
];

/** A `<link>` to anything outside the page's own origin. */
const REMOTE_LINK = /<link\b[^>]*\bhref="(?:https?:)?\/\/[^"]*"[^>]*>/gi;

/**
 * Bull Board's page with its links to other origins (its Google Fonts stylesheet) replaced by the
 * locally served IBM Plex stylesheets; the page's fonts then come from the dashboard.
 */
export function localFontLinks(html: string): string {
  const local = LOCAL_FONT_STYLESHEETS.map((href) => `<link href="${href}" rel="stylesheet">`);
  return html.replace(REMOTE_LINK, '').replace('</head>', `${local.join('')}</head>`);
}
