package audio

// Gain returns the gain of a channel.
func Gain(ch int) float64 {
	if ch < 0 {
		return 0
	}
	return 1.0 / float64(ch+1)
}
