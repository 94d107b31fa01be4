// Tokens are OCPP CiString values: compared case-insensitively, kept as given.
export function tokenKey(token: string): string {
  return token.toUpperCase();
}

export function sameToken(a: string, b: string): boolean {
  return a === b || tokenKey(a) === tokenKey(b);
}

/** A reservation is for a token if its id_token is that token or its parent token is the token's parent. */
export function reservedFor(
  reservation: { idToken: string; parentIdToken?: string },
  idToken: string,
  parentIdToken: string | undefined,
): boolean {
  if (sameToken(reservation.idToken, idToken)) return true;
  return parentIdToken !== undefined && reservation.parentIdToken !== undefined && sameToken(reservation.parentIdToken, parentIdToken);
}
