process.on("message",()=>{})
