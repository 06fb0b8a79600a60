import { test } from 'node:test'
import assert from 'node:assert/strict'
import { kcatConsumeAll, kcatProduce, sharedBroker, topicName } from '../helpers/kafka-broker.ts'

test('the test broker is a real Kafka: a 3-partition topic takes and gives back keyed messages', async () => {
  const broker = await sharedBroker()
  const topic = topicName('broker')
  await broker.createTopic(topic, 3)
  await kcatProduce(broker.bootstrap, topic, ['a\tone', 'b\ttwo', 'c\tthree', 'a\tfour'], { keyed: true })
  const messages = await kcatConsumeAll(broker.bootstrap, topic)
  assert.equal(messages.length, 4)
  assert.deepEqual(messages.map((m) => m.value).sort(), ['four', 'one', 'three', 'two'])
  const partitionsOfA = new Set(messages.filter((m) => m.key === 'a').map((m) => m.partition))
  assert.equal(partitionsOfA.size, 1, 'one key stays in one partition')
})
