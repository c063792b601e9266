/**
 * Envelope routes: `POST /api/datasets/:id/envelopes` (one signed envelope, `application/octet-stream`,
 * checked keylessly before it is stored) and `GET /api/datasets/:id/envelopes` (metadata and a hex
 * excerpt: what the server holds).
 * @module
 */
import { extractHeFields, inspect, verifySignature } from '@nqc/core/node';
import type { FastifyInstance } from 'fastify';
import { assertReader, assertWriter, userOf } from '../channel/index.js';
import { hexExcerpt, newId, sha256Hex } from '../codec.js';
import { envelopeError, NqcCloudError } from '../errors.js';
import type { DatasetRow, EnvelopeMeta } from '../store.js';
import type { RouteContext } from './context.js';

/**
 * Registers the envelope routes.
 * @param app - the server
 * @param ctx - the server's shared state
 */
export function envelopeRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store, perform, maxEnvelopeBytes } = ctx;

  app.post<{ Params: { id: string } }>('/api/datasets/:id/envelopes', { bodyLimit: maxEnvelopeBytes }, async (req, reply) => {
    const d = await ctx.datasetOr404(req.params.id);
    if (!Buffer.isBuffer(req.body)) throw new NqcCloudError('ERR_CLOUD_UNSUPPORTED_MEDIA', 'expected one envelope as application/octet-stream');
    const bytes = new Uint8Array(req.body);
    try {
      assertWriter(d, userOf(req)); // the sender must be enrolled, besides the envelope's own signature
      // A replayed upload would be summed twice: the same bytes are stored once per dataset.
      if (await store.hasEnvelope(d.id, sha256Hex(bytes))) throw new NqcCloudError('ERR_CLOUD_DUPLICATE', 'this envelope is already stored in the dataset (a replayed upload?)');
      const meta = await perform('cloud.check', () => checkEnvelope(d, bytes));
      await store.putEnvelope(meta, bytes);
      await store.audit('envelope.store', d.id, { envelope: meta.id, bytes: meta.size, fields: meta.fields, records: meta.records, signer: meta.signer.slice(0, 24) });
      return await reply.status(201).send({ ...meta, signerEnrolled: true, hexExcerpt: hexExcerpt(bytes) });
    } catch (err) {
      const e = envelopeError(err, 'the envelope');
      await store.audit('envelope.refuse', d.id, { bytes: bytes.byteLength, code: e.code, detail: e.detail ?? null });
      throw e;
    }
  });

  app.get<{ Params: { id: string } }>('/api/datasets/:id/envelopes', async (req) => {
    const d = await ctx.datasetOr404(req.params.id);
    assertReader(d, userOf(req));
    const list = await Promise.all((await store.listEnvelopes(d.id)).map(async (m) => ({ ...m, hexExcerpt: hexExcerpt(await store.envelopePrefix(m.id, 48)) })));
    return { envelopes: list };
  });
}

/** Checks one uploaded envelope keylessly; returns its metadata or throws (nothing is stored). */
async function checkEnvelope(d: DatasetRow, bytes: Uint8Array): Promise<EnvelopeMeta> {
  const { signer } = await verifySignature(bytes, { requireSigner: [...d.writers] });
  const info = await inspect(bytes);
  const fields = info.he?.fields ?? [];
  if (fields.length === 0) throw new NqcCloudError('ERR_CLOUD_BAD_ENVELOPE', 'the envelope has no HE fields to aggregate');
  for (const f of fields) {
    if (f.keyId !== d.heKeyId) throw new NqcCloudError('ERR_CLOUD_KEY_MISMATCH', `HE field "${f.path}" is under another HE key than this dataset's`);
  }
  const paths = [...new Set(fields.map((f) => f.path))];
  // Decode every HE ciphertext once (structure and bounds); these bytes' signature verified above.
  for (const p of paths) await extractHeFields(bytes, p);
  return {
    id: newId(),
    datasetId: d.id,
    size: bytes.byteLength,
    sha256: sha256Hex(bytes),
    signer: signer?.verifyingKey ?? 'unknown',
    fields: paths,
    records: Math.max(...fields.map((f) => f.count)),
    createdAt: new Date().toISOString(),
  };
}
