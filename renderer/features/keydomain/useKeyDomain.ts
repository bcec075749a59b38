/** The key domain of one card, and the share and backup files the core keeps, reloaded after each step. */
import { useCall } from '../../hooks/useCall.ts';

export function useKeyDomainStatus(tokenId: string | undefined) {
  return useCall('keydomain.status', tokenId ? { tokenId } : null);
}

export function useKeyDomainFiles() {
  return useCall('keydomain.files', undefined);
}
