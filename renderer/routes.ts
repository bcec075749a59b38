/** The screens, addressed by the URL fragment so links and Back work and tests can go straight to one. */
import { useEffect, useState } from 'react';

export const ROUTES = [
  { id: 'tokens', title: 'Tokens' },
  { id: 'ca', title: 'Certificate authorities' },
  { id: 'requests', title: 'Requests' },
  { id: 'certificates', title: 'Certificates' },
  { id: 'crl', title: 'Revocation and CRLs' },
  { id: 'cvc', title: 'CV certificates' },
  { id: 'keydomain', title: 'Key domain' },
  { id: 'journal', title: 'Journal' },
  { id: 'quorum', title: 'Custodian quorum' },
  { id: 'ceremony', title: 'Ceremony' },
] as const;

export type RouteId = (typeof ROUTES)[number]['id'];

function current(): RouteId {
  const id = window.location.hash.replace(/^#\/?/, '');
  return ROUTES.find((r) => r.id === id)?.id ?? 'tokens';
}

export function useRoute(): RouteId {
  const [route, setRoute] = useState<RouteId>(current);
  useEffect(() => {
    const onHash = () => setRoute(current());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  return route;
}
