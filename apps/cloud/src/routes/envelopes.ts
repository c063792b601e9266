/**
 * Envelope routes: `POST /api/datasets/:id/envelopes` (one signed envelope, `application/octet-stream`,
 * binary or ASCII-armored, checked keylessly; stored once per dataset, in binary form, keyed by
 * the transcript its signature covers) and `GET /api/datasets/:id/envelopes` (metadata and a hex
 * excerpt: what the server holds).
 * @module
 */
import { extractHeFields, inspect, verifySignature } from '@nqc/core/node';
import type { FastifyInstance } from 'fastify';
import { assertReader, assertWriter, userOf } from '../channel/index.js';
import { hexExcerpt, newId, sha256Hex } from '../codec.js';
import { envelopeError, NqcCloudError } from '../errors.js';
import { binaryForm, duplicate, type DatasetRow, type EnvelopeMeta } from '../store.js';
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
    const uploaded = new Uint8Array(req.body);
    // The sender must be enrolled, besides the envelope's own signature. Checked before the audited
    // part: a key that is not a writer learns nothing and writes nothing into this dataset's log.
    assertWriter(d, userOf(req));
    try {
      // One form stored (binary: armor decoded), one copy per signed transcript: a replayed upload,
      // re-armored or re-wrapped to other recipients, would otherwise be summed twice.
      const bytes = binaryForm(uploaded);
      const meta = await perform('cloud.check', () => checkEnvelope(d, bytes));
      if (await store.hasSigned(d.id, meta.signed)) throw duplicate();
      await store.putEnvelope(meta, bytes);
      await store.audit('envelope.store', d.id, { envelope: meta.id, bytes: meta.size, fields: meta.fields, records: meta.records, signer: meta.signer.slice(0, 24) });
      return await reply.status(201).send({ ...meta, signerEnrolled: true, hexExcerpt: hexExcerpt(bytes) });
    } catch (err) {
      const e = envelopeError(err, 'the envelope');
      await store.audit('envelope.refuse', d.id, { bytes: uploaded.byteLength, code: e.code, detail: e.detail ?? null });
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

/** Checks one uploaded (binary) envelope keylessly; returns its metadata or throws (nothing is stored). */
async function checkEnvelope(d: DatasetRow, bytes: Uint8Array): Promise<EnvelopeMeta & { signed: string }> {
  const { signer, transcript } = await verifySignature(bytes, { requireSigner: [...d.writers] });
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
    signed: Buffer.from(transcript).toString('hex'),
  };
}
