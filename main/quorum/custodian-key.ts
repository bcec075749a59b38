/** The label Custos gives a custodian's authentication key on the custodian's own token. */
export const CUSTODIAN_KEY_LABEL = 'custodian authentication key';
