// The admin page's stylesheet, inline (the CSP allows inline styles and nothing to load): mobile
// first, charts as wide as their column and never wider, wide tables scrolling inside their own
// box, a chart's tip shown while its mark is hovered or focused (a tap focuses it). Data only.
export const PAGE_CSS = `
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;padding:.8rem;color:#1b1b1b;background:#fafafa;max-width:1320px;margin-inline:auto}
h1{font-size:1.15rem;margin:.2rem 0 .5rem}h2{font-size:1.1rem;margin:1.6rem 0 .6rem;border-bottom:2px solid #0072B2;padding-bottom:.2rem}
h3{font-size:.95rem;margin:1rem 0 .3rem}
.windows{display:flex;flex-wrap:wrap;gap:.4rem;margin:.4rem 0}
.windows a{padding:.3rem .7rem;border:1px solid #0072B2;border-radius:1rem;color:#0072B2;text-decoration:none}
.windows a[aria-current]{background:#0072B2;color:#fff}
.range{display:flex;flex-wrap:wrap;gap:.4rem;align-items:center;margin:.4rem 0}
.range input,.range button{font:inherit;padding:.2rem .3rem}
.note{color:#555;font-size:.85rem;margin:.4rem 0}
.mode{background:#fff4d6;border-left:4px solid #E69F00;padding:.4rem .6rem}
.stats{display:grid;grid-template-columns:repeat(auto-fill,minmax(10.5rem,1fr));gap:.4rem;list-style:none;padding:0;margin:.4rem 0 .8rem}
.stats li{background:#fff;border:1px solid #ddd;border-radius:.4rem;padding:.25rem .5rem;font-size:.85rem}
.stats b{font-size:1.05rem}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,400px),1fr));gap:1rem}
figure{margin:0;background:#fff;border:1px solid #ddd;border-radius:.4rem;padding:.5rem;min-width:0}
figcaption{font-weight:600;font-size:.92rem}
svg{display:block;width:100%;height:auto;max-width:560px;overflow:visible}
svg text{font-size:11px;fill:#333}svg .val{font-weight:600;fill:#111}
svg .grid{stroke:#e6e6e6}svg .axis{stroke:#888}svg .zero{fill:#888}svg .hit{fill:transparent}
svg .tip{display:none}svg .pt:hover .tip,svg .pt:focus .tip{display:inline}
svg .tip rect{fill:#1b1b1b}svg .tip text{fill:#fff;font-size:10px}
svg .pt:focus{outline:none}svg .pt:focus .hit,svg .pt:hover .hit{fill:rgba(0,0,0,.06)}
.legend{margin:.2rem 0;font-size:.8rem;display:flex;flex-wrap:wrap;gap:.7rem}
.legend i{display:inline-block;width:.8rem;height:.8rem;margin-right:.25rem;vertical-align:-.1rem;border-radius:2px}
.tables{display:flex;flex-wrap:wrap;gap:0 1.5rem;align-items:flex-start}.tb{max-width:100%;min-width:0}
.tw{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;background:#fff;font-size:.85rem}
td,th{padding:.25rem .5rem;text-align:right;border-bottom:1px solid #e3e3e3;white-space:nowrap}
td:first-child,th:first-child{text-align:left;white-space:normal;min-width:6rem}
tfoot th{border-top:2px solid #999}.dated td:first-child{white-space:nowrap}td.na{color:#888}td small{display:block;font-size:.75em;opacity:.85}
@media (max-width:480px){td,th{padding:.2rem .35rem}td:first-child,th:first-child{min-width:4.5rem}}
a.csv{font-size:.8rem;font-weight:400;margin-left:.4rem}
details{margin:.6rem 0}summary{cursor:pointer;font-weight:600}
`;
