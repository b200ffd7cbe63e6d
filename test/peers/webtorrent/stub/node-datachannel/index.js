// Stand-in for node-datachannel, whose install downloads a binary: no WebRTC, TCP peers only.
export class PeerConnection { constructor () { throw new Error('WebRTC is not available in this test peer') } }
export class RtcpReceivingSession {}
export class Video {}
export class Audio {}
export function cleanup () {}
export default { PeerConnection, RtcpReceivingSession, Video, Audio, cleanup }
