console.log("preload")
