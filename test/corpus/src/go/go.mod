module example.com/atlas/tools

go 1.19
