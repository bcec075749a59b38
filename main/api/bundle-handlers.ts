/**
 * The window's side of signed bundles: bundle.create and bundle.verify, on
 * folders of a removable medium only (the window names a path; the read
 * grants decide whether it may be touched, as for every path it names).
 */
import { CustosError } from '../errors/index.ts';
import type { Custos } from '../custos.ts';
import type { ReadGrants } from '../exchange/read-grants.ts';
import { createBundle } from '../exchange/bundle.ts';
import { verifyBundle } from '../exchange/bundle-verify.ts';
import type { Handlers } from './contract.ts';

export function bundleHandlers(custos: Custos, grants: ReadGrants): Pick<Handlers, 'bundle.create' | 'bundle.verify'> {
  const ctx = custos.ctx;
  return {
    'bundle.create': async ({ caId, directory, name, serials }) => {
      const folder = await grants.permitFolder(directory);
      return custos.exclusive('bundle', () => createBundle(ctx, { caId, directory: folder, ...(name !== undefined ? { name } : {}), serials: serials ?? [] }))
        .then((r) => ({ ...r, files: r.files.map((f) => ({ ...f })) }));
    },
    'bundle.verify': async ({ directory, rootCaId }) => {
      const folder = await grants.permitFolder(directory);
      const root = rootCaId === undefined ? undefined : ctx.state.cas.get(rootCaId);
      if (rootCaId !== undefined && root?.kind !== 'root') {
        throw new CustosError('CA_NOT_FOUND', `No root CA ${rootCaId.slice(0, 12)}… in this journal: pick one of its roots, or verify without one.`, { caId: rootCaId });
      }
      const report = await verifyBundle(folder, root ? { rootDer: root.certDer } : {});
      return {
        ...report, files: report.files.map((f) => ({ ...f })), extra: [...report.extra], problems: report.problems.map((p) => ({ ...p })),
        ...(report.ca ? { ca: { ...report.ca } } : {}), ...(report.signer ? { signer: { ...report.signer } } : {}),
      };
    },
  };
}
