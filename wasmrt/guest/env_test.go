package guest

import "testing"

func TestListenFD(t *testing.T) {
	tests := []struct {
		env     string
		port    int
		want    int
		wantErr bool
	}{
		{"8080=5", 8080, 5, false},
		{"9001=5,9000=6", 9000, 6, false},
		{"9001=5,9000=6", 9001, 5, false},
		{"8080=5", 80, 0, true},
		{"", 8080, 0, true},
		{"8080=x", 8080, 0, true},
	}
	for _, tt := range tests {
		got, err := listenFD(tt.env, tt.port)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("listenFD(%q, %d) = %d, %v; want %d, error %v", tt.env, tt.port, got, err, tt.want, tt.wantErr)
		}
	}
}
