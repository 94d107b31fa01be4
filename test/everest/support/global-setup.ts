// Before any test of the suite: without an EVerest to run under, the run fails here, once, saying why.
import { everestPrefix } from './prefix';

export default function globalSetup(): void {
  everestPrefix();
}
