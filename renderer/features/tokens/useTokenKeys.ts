import { useCall } from '../../hooks/useCall.ts';

export function useTokenKeys(tokenId: string | undefined) {
  return useCall('token.keys', tokenId ? { tokenId } : null);
}
