import { upsertBody } from './src/adapters/points-json.ts'
const N=384, P=1000
const vecs = Array.from({length: P}, () => { const v = new Float32Array(N); let s=0; for (let i=0;i<N;i++){v[i]=Math.random()-0.5; s+=v[i]*v[i]} for (let i=0;i<N;i++) v[i]/=Math.sqrt(s); return v })
const payload = { text: 'PacketResponder 1 for block blk_38865049064139660 terminating', original_text: 'x'.repeat(150), log_level: 'INFO' }
const points = vecs.map((v, i) => ({ id: `id-${i}`, vector: v, payload }))
for (let r=0;r<8;r++){
let t=performance.now(); upsertBody(points as never); const a=performance.now()-t
t=performance.now(); JSON.stringify({points: points.map(p=>({id:p.id, vector:Array.from(p.vector), payload:p.payload}))}); const c=performance.now()-t
console.log('upsertBody', (a*1000/P).toFixed(1), 'JSON.stringify', (c*1000/P).toFixed(1))
}
