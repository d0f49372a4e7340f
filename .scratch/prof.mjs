import { readFileSync } from 'node:fs';
const p = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const self = new Map(); const total = p.samples.length;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const counts = new Map(); for (const s of p.samples) counts.set(s, (counts.get(s) ?? 0) + 1);
for (const [id, c] of counts) { const n = byId.get(id); const k = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').slice(-3).join('/')}:${n.callFrame.lineNumber}`; self.set(k, (self.get(k) ?? 0) + c); }
const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 45);
for (const [k, c] of rows) console.log((c / total * 100).toFixed(1).padStart(5), k);
// aggregate by file
const byFile = new Map(); for (const [id, c] of counts) { const n = byId.get(id); const f = n.callFrame.url.split('/').slice(-3).join('/') || n.callFrame.functionName; byFile.set(f, (byFile.get(f) ?? 0) + c); }
console.log('--- by file'); for (const [k, c] of [...byFile.entries()].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log((c / total * 100).toFixed(1).padStart(5), k);
