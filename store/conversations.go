package store

import "time"

// ConversationStore is the conversation aggregate: state, profile, the
// durable inbox and outbox of each conversation and its flood limit (the
// turn path: turn.go, state.go, profile.go, sealturn.go, migrate.go). It
// implements bot.Inbox, bot.Outbound, bot.StateStore, bot.ProfileStore and
// bot.TurnLoader alone.
type ConversationStore struct {
	*Redis
	stateTTL     time.Duration
	dedupeTTL    time.Duration
	sendDeadline time.Duration
	batch        *batcher   // the turn scripts of concurrent conversations, pipelined together
	states       stateCache // states this process committed, decoded
	seals        sealMemo   // the sealed answers of the states it committed (appendTurnState)
}
