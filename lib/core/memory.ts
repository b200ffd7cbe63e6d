// The memory cap for pieces in flight. A torrent on its own has all of it; the torrents
// a session downloads at once share one cap, each holding an equal part, so memory is
// bounded by configuration whatever the number of torrents.
export interface MemoryShare {
  // Bytes this torrent may have in flight now.
  readonly cap: number
  // Gives the share back (a torrent finished, paused or removed).
  leave (): void
}

export class MemoryBudget {
  private readonly members = new Set<MemoryShare>()

  constructor (public total: number) {}

  join (): MemoryShare {
    const members = this.members
    const budget = this
    const share: MemoryShare = {
      get cap () { return Math.floor(budget.total / Math.max(1, members.size)) },
      leave () { members.delete(share) }
    }
    members.add(share)
    return share
  }
}
