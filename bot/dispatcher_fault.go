package bot

import (
	"context"
	"time"
)

// The notices a person gets while the service cannot take their turn:
// one fault notice per person per outage (fault, remember), and the
// recovery (recovered).

// fault tells a person, once per outage and best effort, that something
// went wrong on our side, in their language when known.
func (d *Dispatcher) fault(c Conversation, id, lang string) {
	if id == "core.unavailable" {
		d.fmu.Lock()
		if d.told[c] {
			d.fmu.Unlock()
			return
		}
		if len(d.told) > 100_000 {
			clear(d.told)
		}
		d.told[c] = true
		d.fmu.Unlock()
	}
	d.notice(c, id, lang)
}

// recovered ends c's outage: the next one gets a notice again.
func (d *Dispatcher) recovered(c Conversation) {
	d.fmu.Lock()
	if len(d.told) > 0 {
		delete(d.told, c)
	}
	d.fmu.Unlock()
}

// remember keeps the languages of people seen lately, so a notice while
// the store is down speaks their language.
func (d *Dispatcher) remember(c Conversation, lang string) {
	d.fmu.Lock()
	defer d.fmu.Unlock()
	if lang == "" {
		if _, ok := d.langs[c]; ok {
			delete(d.langs, c)
		}
		return
	}
	if d.langs[c] == lang {
		return
	}
	if len(d.langs) > 100_000 {
		clear(d.langs)
	}
	d.langs[c] = lang
}

// notice sends a message of the bot's own (not a turn's reply), best effort.
func (d *Dispatcher) notice(c Conversation, id, lang string) {
	if lang == "" {
		d.fmu.Lock()
		lang = d.langs[c]
		d.fmu.Unlock()
	}
	if lang == "" {
		lang = d.lang
	}
	d.Stats.FaultNotices.Add(1)
	d.obs.Event("fault_notice")
	ctx, cancel := context.WithTimeout(context.WithoutCancel(d.work), 5*time.Second)
	defer cancel()
	if err := d.out.Send(ctx, c, d.cat.Out(lang, Say(T(id)))); err != nil {
		d.log.Warn("send notice", "channel", c.Channel, "notice", id, "err", err)
	}
}
