import { parseMagnet } from '../../lib/magnet.js'
const t0 = Date.now()
try { console.log(parseMagnet('magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&so=9007199254740993').select) } catch (e) { console.log(e) }
console.log(Date.now() - t0)
