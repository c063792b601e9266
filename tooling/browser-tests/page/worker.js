// The module Worker of the browser tier: the two lines an app writes.
import { serveNqc } from '@nqc/core/worker';
serveNqc(self);
