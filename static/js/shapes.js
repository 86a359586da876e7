// The shape of each answer option (▲ ◆ ● ■ ★ ⬢ ⬟ ✚), drawn as inline SVG on phones and the big screen:
// a colour-blind player or a washed-out projector still tells the options apart by shape and letter.
// Colours live in app.css (--opt-N); the shapes go with the option's position, like the colours.

const PATHS = [
  ["三角形", "M50 6 L95 90 L5 90 Z"],
  ["菱形", "M50 3 L97 50 L50 97 L3 50 Z"],
  ["圆形", "M50 5 A45 45 0 1 1 49.9 5 Z"],
  ["方形", "M8 8 H92 V92 H8 Z"],
  ["星形", "M50 4 L61 37 L96 37 L68 58 L78 93 L50 72 L22 93 L32 58 L4 37 L39 37 Z"],
  ["六边形", "M27 8 H73 L96 50 L73 92 H27 L4 50 Z"],
  ["五边形", "M50 4 L96 38 L78 94 H22 L4 38 Z"],
  ["十字", "M35 5 H65 V35 H95 V65 H65 V95 H35 V65 H5 V35 H35 Z"],
];

/** The shape's Chinese name for option `index` (screen readers: "A 三角形 …"). */
export function shapeName(index) { return PATHS[index % PATHS.length][0]; }

/** An SVG of option `index`'s shape; sized and coloured by the page's CSS (class "shape"). */
export function shapeSvg(index) {
  return `<svg class="shape" viewBox="0 0 100 100" aria-hidden="true" focusable="false"><path d="${PATHS[index % PATHS.length][1]}"/></svg>`;
}

/** The judge options: ✓ and ✗ are their own shapes. */
export function judgeSvg(value) {
  const d = value ? "M12 52 L40 80 L90 22" : "M18 18 L82 82 M82 18 L18 82";
  return `<svg class="shape judge" viewBox="0 0 100 100" aria-hidden="true" focusable="false"><path d="${d}"/></svg>`;
}
