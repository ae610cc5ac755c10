// Normalised form of a domain pattern key (prefix kept, host part normalised): the identity
// under which keys collide and layers merge.
export { normalizeDomainPattern as normalizeDomainKey } from '../match/domains';
