package physics

type Body struct{ Mass float64 }

func Step(b *Body) {}

func Step(b *Body, dt float64) {}

func Kind(n int) string {
	switch n {
	case 1:
		return "static"
	case 1:
		return "dynamic"
	}
	return b.Mass
}
