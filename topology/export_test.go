package topology

// PCIIDsPaths lets external tests point the name lookup at a fixture.
var PCIIDsPaths = &pciIDsPaths
