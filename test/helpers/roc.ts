/** Ranking quality for the anomaly-score acceptance tests. */

/** Area under the ROC curve: the chance that a random positive scores above a random negative (ties count half). */
export function rocAuc(scores: readonly number[], positive: readonly boolean[]): number {
  const order = scores.map((_, i) => i).sort((a, b) => scores[a]! - scores[b]!)
  const ranks: number[] = new Array(scores.length)
  for (let i = 0; i < order.length; ) {
    let j = i
    while (j + 1 < order.length && scores[order[j + 1]!] === scores[order[i]!]) j++
    for (let k = i; k <= j; k++) ranks[order[k]!] = (i + j) / 2 + 1
    i = j + 1
  }
  let rankSum = 0
  let pos = 0
  positive.forEach((p, i) => {
    if (p) {
      rankSum += ranks[i]!
      pos++
    }
  })
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * (scores.length - pos))
}
