// No uTP: webtorrent then dials TCP at once (Pears speaks TCP only; with uTP webtorrent
// spends about 40 s on uTP attempts before it tries TCP).
throw new Error('uTP is disabled in this test peer')
