package whatsapp

import "errors"

var (
	// ErrTooLarge is returned by Fetch for media over Config.MaxMediaBytes.
	ErrTooLarge = errors.New("media too large")
	// ErrRestricted is returned (wrapped) by Send when WhatsApp refused a
	// message with a reach-out time lock (error 463).
	ErrRestricted = errors.New("whatsapp account restricted")
	// ErrDisconnected is returned (wrapped) by Send when the connection did
	// not come back within Config.SendWait.
	ErrDisconnected = errors.New("whatsapp not connected")

	errBadUser = errors.New("not a whatsapp conversation")
)
